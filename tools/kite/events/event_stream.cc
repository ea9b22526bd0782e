#include "events/event_stream.h"

#include <chrono>

#include "common/exit_code.h"
#include "common/stop_signals.h"
#include "events/event_id.h"
#include "events/event_poll.h"
#include "events/event_query.h"
#include "events/events_failure.h"
#include "events/reconnect_backoff.h"
#include "events/sse_parser.h"
#include "events/stop_check.h"

namespace kite::cli {
namespace {

// kited sends a keep-alive comment every 15 s: a stream silent for three of them is a dead link
// (a peer gone without a FIN), reconnected like a closed one.
constexpr std::uint64_t kSilenceLimitMs = 45'000;

// What ended reading one connection's stream.
struct StreamEnd {
  std::optional<int> exit_code;  // set: kite is done; else the stream dropped...
  std::string why;               // ...for this reason
};

std::uint64_t ms_since(std::chrono::steady_clock::time_point then) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - then)
          .count());
}

// "from now on" made an id: a poll that waits for nothing answers at once with kited's newest id
// (and prints whatever matched in between). A stream dropped before its first event then
// resumes from there, and loses nothing.
std::optional<int> find_now(ApiClient& api, const EventsSettings& s, EventPrinter& printer,
                            const Deadline& deadline) {
  ApiAnswer answer = api.call("GET", poll_path(s, std::nullopt, 0, s.limit));
  if (!answer.ok()) {
    if (stop_requested()) return stop_check(deadline, printer);
    say_events(describe_events_failure(answer, api.url()));
    return exit_code_for(answer);
  }
  if (auto code = print_poll_answer(answer, printer)) return code;
  if (printer.counted_out()) return kExitOk;
  return std::nullopt;
}

// Prints one event of the stream; false when stdout cannot be written.
bool print_event(const SseEvent& event, EventPrinter& printer) {
  if (event.type == "gap") return printer.gap(event.data);
  return printer.event(event.data, parse_event_id(event.id));
}

StreamEnd read_events(ApiClient& api, const Deadline& deadline, EventPrinter& printer,
                      EventAcker& acker) {
  SseParser parser;
  std::string bytes;
  auto last_heard = std::chrono::steady_clock::now();
  for (;;) {
    if (auto code = stop_check(deadline, printer)) return {code, {}};
    acker.post_if_due(printer);
    const std::uint64_t silent = ms_since(last_heard);
    if (silent >= kSilenceLimitMs)
      return {std::nullopt, "nothing heard for 45 s (kited sends a keep-alive every 15 s)"};
    bytes.clear();
    // Woken in time for a due ack, so that a quiet stream's last events do not wait for more.
    const std::uint64_t wait_ms = acker.ms_until_due(printer, kSilenceLimitMs - silent);
    switch (api.read_stream(bytes, static_cast<int>(deadline.cap_ms(wait_ms)))) {
      case StreamRead::Idle:
      case StreamRead::Interrupted:
        continue;  // stop_check() and the silence limit decide
      case StreamRead::Ended:
        return {std::nullopt, "kited closed the stream"};
      case StreamRead::Failed:
        return {std::nullopt, "the stream's connection failed"};
      case StreamRead::Data:
        break;
    }
    last_heard = std::chrono::steady_clock::now();
    parser.feed(bytes);
    while (auto event = parser.next()) {
      if (!print_event(*event, printer)) return {kExitFailed, {}};
      if (printer.counted_out()) return {kExitOk, {}};
      acker.post_if_due(printer);
    }
  }
}

}  // namespace

int follow_event_stream(ApiClient& api, const EventsSettings& s, EventPrinter& printer,
                        EventAcker& acker, const Deadline& deadline) {
  if (!printer.position())
    if (auto code = find_now(api, s, printer, deadline)) return *code;
  ReconnectBackoff backoff;
  bool streamed_once = false;
  for (;;) {
    if (auto code = stop_check(deadline, printer)) return *code;
    const std::uint64_t resume = printer.position().value_or(0);
    ApiAnswer answer = api.open_stream(
        events_path(s),
        "Accept: text/event-stream\r\nLast-Event-ID: " + std::to_string(resume) + "\r\n");
    if (!answer.ok() || !answer.streaming) {
      if (stop_requested()) continue;  // interrupted: stop_check() says so
      if (!streamed_once || !worth_retrying(answer)) {
        say_events(describe_events_failure(answer, api.url()));
        return exit_code_for(answer);
      }
      const std::uint64_t pause = backoff.next_ms();
      say_events("cannot reconnect: " + describe_events_failure(answer, api.url()) +
                 " Retrying in " + std::to_string(pause) + " ms");
      sleep_unless_stopped(deadline.cap_ms(pause));
      continue;
    }
    say_events((streamed_once ? "reconnected, resuming " : "following events ") +
               position_text(resume));
    streamed_once = true;
    const std::uint64_t printed_before = printer.printed();
    StreamEnd end = read_events(api, deadline, printer, acker);
    if (end.exit_code) return *end.exit_code;
    if (printer.printed() > printed_before) backoff.reset();  // that connection was of use
    const std::uint64_t pause = backoff.next_ms();
    say_events("stream dropped: " + end.why + "; reconnecting in " + std::to_string(pause) +
               " ms with Last-Event-ID " + std::to_string(printer.position().value_or(0)));
    sleep_unless_stopped(deadline.cap_ms(pause));
  }
}

}  // namespace kite::cli
