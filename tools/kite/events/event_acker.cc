#include "events/event_acker.h"

#include <algorithm>

#include "events/events_failure.h"

namespace kite::cli {

EventAcker::EventAcker(const EventsSettings& settings)
    : enabled_(settings.ack),
      group_(settings.consumer_group),
      member_(settings.member),
      api_(settings.api) {}

bool EventAcker::pending(const EventPrinter& printer) const {
  const auto newest = printer.last_event_id();
  return enabled_ && newest && *newest > acked_through_;
}

std::optional<std::uint64_t> EventAcker::poll_ack(const EventPrinter& printer) const {
  if (!pending(printer)) return std::nullopt;
  return printer.last_event_id();
}

std::uint64_t EventAcker::ms_until_due(const EventPrinter& printer, std::uint64_t longest) const {
  if (!pending(printer)) return longest;
  const auto since = std::chrono::steady_clock::now() - last_post_;
  if (since >= kBatchInterval) return 0;
  const auto left =
      std::chrono::duration_cast<std::chrono::milliseconds>(kBatchInterval - since).count() + 1;
  return std::min(longest, static_cast<std::uint64_t>(left));
}

void EventAcker::post_if_due(const EventPrinter& printer) {
  if (!pending(printer)) return;
  const bool many = printer.printed() - printed_at_ack_ >= kBatchEvents;
  const bool old = std::chrono::steady_clock::now() - last_post_ >= kBatchInterval;
  if (many || old) post(*printer.last_event_id(), printer.printed());
}

void EventAcker::finish(const EventPrinter& printer) {
  if (pending(printer)) post(*printer.last_event_id(), printer.printed());
}

void EventAcker::post(std::uint64_t through, std::uint64_t printed) {
  last_post_ = std::chrono::steady_clock::now();
  printed_at_ack_ = printed;
  const ApiAnswer answer = api_.call("POST", "/v1/event-groups/" + path_segment(group_) + "/ack",
                                     {{"member", member_}, {"through", std::to_string(through)}});
  if (answer.ok() || answer.status == 404) {
    // 404 too: asking again would be refused again, and the events went to another member.
    acked_through_ = through;
    failing_ = false;
  }
  if (answer.status == 404) {
    say_events("acknowledgement refused: member " + member_ + " of consumer group " + group_ +
               " lost its events (gone longer than events.consumer_member_ms): kited gives them "
               "to other members; reading on");
  } else if (!answer.ok() && !failing_) {
    failing_ = true;
    say_events("cannot acknowledge through event " + std::to_string(through) + ": " +
               describe_events_failure(answer, api_.url()) + " Trying again; reading on");
  }
}

}  // namespace kite::cli
