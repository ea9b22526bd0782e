#include "uplink_queue.h"

#include <algorithm>

namespace kite::sdk {

Error UplinkQueue::push(const Publish& message, Completion done, Millis now) {
  Entry entry{std::string(message.payload),
              std::string(message.topic),
              std::string(message.content_type),
              message.at_least_once,
              message.ttl_ms,
              now,
              0,
              std::move(done)};
  if (entries_.size() >= max_messages_ || bytes_ + entry.bytes() > max_bytes_)
    return Error::QueueFull;
  bytes_ += entry.bytes();
  entries_.push_back(std::move(entry));
  ++changes_;
  return Error::Ok;
}

void UplinkQueue::drop_newest() {
  bytes_ -= entries_.back().bytes();
  entries_.pop_back();
  ++changes_;
}

void UplinkQueue::restore(const SavedEntry& saved, Millis now) {
  Entry entry{saved.payload, saved.topic,        saved.content_type, saved.at_least_once,
              saved.ttl_ms,  now - saved.age_ms, saved.seq,          {}};
  bytes_ += entry.bytes();
  entries_.push_back(std::move(entry));
  ++changes_;
}

void UplinkQueue::save(std::vector<SavedEntry>& out, Millis now) const {
  out.clear();
  for (const auto& e : entries_)
    out.push_back({e.at_least_once, e.seq, e.ttl_ms,
                   static_cast<std::uint32_t>(std::clamp<Millis>(now - e.queued_at, 0, UINT32_MAX)),
                   e.topic, e.content_type, e.payload});
}

void UplinkQueue::finish(std::size_t index, Error error, std::string_view why,
                         std::vector<Finished>& finished) {
  Entry& entry = entries_[index];
  bytes_ -= entry.bytes();
  if (entry.done) finished.push_back({std::move(entry.done), error, std::string(why)});
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(index));
  if (index < sent_) --sent_;
  ++changes_;
}

void UplinkQueue::acked(std::uint64_t seq, std::vector<Finished>& finished) {
  // Sent QoS 1 entries are at the front, in seq order.
  while (sent_ > 0 && entries_.front().seq != 0 && entries_.front().seq <= seq)
    finish(0, Error::Ok, {}, finished);
}

void UplinkQueue::refused(std::uint64_t seq, std::string_view why,
                          std::vector<Finished>& finished) {
  for (std::size_t i = 0; i < sent_; ++i)
    if (entries_[i].seq == seq) return finish(i, Error::Refused, why, finished);
}

void UplinkQueue::reopened(bool resumed, std::uint64_t peer_holds,
                           std::vector<Finished>& finished) {
  sent_ = entries_.size();  // lets acked() see every entry that has a seq
  if (resumed) {
    acked(peer_holds, finished);
  } else {
    for (auto& entry : entries_) entry.seq = 0;
    ++changes_;
  }
  sent_ = 0;
}

void UplinkQueue::fail_all(Error error, std::string_view why, std::vector<Finished>& finished) {
  sent_ = 0;
  while (!entries_.empty()) finish(0, error, why, finished);
}

}  // namespace kite::sdk
