// `kite events` following kited's event stream (Server-Sent Events from GET /v1/events) until
// -C, -W or a signal ends it. A dropped stream is reconnected after a short jittered back-off
// with Last-Event-ID, the id of the last event printed, so that nothing is lost or printed
// twice; each drop and reconnect is said on stderr. With --ack the printed events are
// acknowledged in batches as they go (events/event_acker.h). Returns an ExitCode.
#pragma once

#include "common/api_client.h"
#include "common/deadline.h"
#include "events/event_acker.h"
#include "events/event_printer.h"
#include "events/events_settings.h"

namespace kite::cli {

int follow_event_stream(ApiClient& api, const EventsSettings& settings, EventPrinter& printer,
                        EventAcker& acker, const Deadline& deadline);

}  // namespace kite::cli
