// `kite events --poll` (and `--once`): GET /v1/events as a long-poll, one request after another,
// each after the last answer's last_id, until -C, -W or a signal ends it; with --once one answer
// only. For clients and networks that cannot hold a stream open. With --ack each poll carries
// ack= for what the previous ones printed. Returns an ExitCode.
#pragma once

#include <optional>

#include "common/api_client.h"
#include "common/deadline.h"
#include "events/event_acker.h"
#include "events/event_printer.h"
#include "events/events_settings.h"

namespace kite::cli {

int poll_events(ApiClient& api, const EventsSettings& settings, EventPrinter& printer,
                EventAcker& acker, const Deadline& deadline);

// Prints a long-poll answer ({"events":[...],"last_id":"...","gap":{...}}): the gap first, then
// each event, and moves the printer's position to last_id. Stops at -C. An exit code when kite
// must stop (an answer that is not one, stdout gone), else nullopt.
std::optional<int> print_poll_answer(const ApiAnswer& answer, EventPrinter& printer);

}  // namespace kite::cli
