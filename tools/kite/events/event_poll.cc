#include "events/event_poll.h"

#include <algorithm>

#include "common/exit_code.h"
#include "common/stop_signals.h"
#include "events/event_id.h"
#include "events/event_query.h"
#include "events/events_failure.h"
#include "events/reconnect_backoff.h"
#include "events/stop_check.h"

namespace kite::cli {
namespace {

std::optional<std::uint64_t> id_of(const nlohmann::ordered_json& record) {
  auto it = record.find("id");
  if (it == record.end() || !it->is_string()) return std::nullopt;
  return parse_event_id(it->get<std::string>());
}

}  // namespace

std::optional<int> print_poll_answer(const ApiAnswer& answer, EventPrinter& printer) {
  // Parsed again keeping the members' order, so that each event prints as kited wrote it.
  const auto body = nlohmann::ordered_json::parse(answer.raw, nullptr, false);
  if (!body.is_object() || !body.contains("events") || !body["events"].is_array()) {
    say_events("an answer without \"events\": " + answer.raw.substr(0, 300));
    return kExitFailed;
  }
  constexpr auto kReplace = nlohmann::ordered_json::error_handler_t::replace;
  if (body.contains("gap") && !printer.gap(body["gap"].dump(-1, ' ', false, kReplace)))
    return kExitFailed;
  for (const auto& event : body["events"]) {
    if (printer.counted_out()) return std::nullopt;
    if (!printer.event(event.dump(-1, ' ', false, kReplace), id_of(event))) return kExitFailed;
  }
  if (auto last = body.find("last_id"); last != body.end() && last->is_string())
    if (auto id = parse_event_id(last->get<std::string>())) printer.advance_to(*id);
  return std::nullopt;
}

int poll_events(ApiClient& api, const EventsSettings& s, EventPrinter& printer, EventAcker& acker,
                const Deadline& deadline) {
  ReconnectBackoff backoff;
  bool answered_once = false;
  for (;;) {
    if (auto code = stop_check(deadline, printer)) return *code;
    std::uint64_t limit = s.limit;
    if (s.count > 0) limit = std::min(limit, s.count - printer.printed());
    // --once without --poll is "what is held now": a poll that waits for nothing. So is the
    // first poll "from now on", which only learns where now is (and says so, below).
    const bool waits = s.poll && (answered_once || printer.position());
    const std::uint64_t wait_ms = deadline.cap_ms(waits ? s.wait_ms : 0);
    api.set_timeout_ms(api.timeout_ms() + static_cast<int>(wait_ms));  // the wait is no silence
    const auto ack = acker.poll_ack(printer);
    ApiAnswer answer = api.call("GET", poll_path(s, printer.position(), wait_ms, limit, ack));
    if (!answer.ok()) {
      if (stop_requested()) continue;  // interrupted: stop_check() says so
      if (!answered_once || s.once || !worth_retrying(answer)) {
        say_events(describe_events_failure(answer, api.url()));
        return exit_code_for(answer);
      }
      const std::uint64_t pause = backoff.next_ms();
      say_events("poll failed: " + describe_events_failure(answer, api.url()) + " Retrying in " +
                 std::to_string(pause) + " ms");
      sleep_unless_stopped(deadline.cap_ms(pause));
      continue;
    }
    backoff.reset();
    if (ack) acker.poll_acked(*ack);
    if (auto code = print_poll_answer(answer, printer)) return *code;
    if (!answered_once && s.poll && !s.once)
      say_events("polling events " + position_text(printer.position().value_or(0)));
    answered_once = true;
    if (printer.counted_out() || s.once) return kExitOk;
  }
}

}  // namespace kite::cli
