// Response ordering; see response_queue.h.
#include "http/response_queue.h"

namespace kite::server::http {

std::uint64_t ResponseQueue::open(bool close_after) {
  slots_.push_back(Slot{next_sequence_, State::Waiting, close_after, {}, {}});
  return next_sequence_++;
}

ResponseQueue::Slot* ResponseQueue::find(std::uint64_t sequence) {
  if (slots_.empty() || sequence < slots_.front().sequence) return nullptr;
  std::uint64_t index = sequence - slots_.front().sequence;
  return index < slots_.size() ? &slots_[index] : nullptr;
}

ResponseQueue::Ready ResponseQueue::take() {
  Ready ready;
  while (!slots_.empty()) {
    Slot& front = slots_.front();
    ready.bytes += front.bytes;
    front.bytes.clear();
    if (front.state != State::Done) break;
    ready.close = front.close_after;
    slots_.pop_front();
    if (ready.close) break;
  }
  return ready;
}

std::vector<std::function<void()>> ResponseQueue::clear() {
  std::vector<std::function<void()>> callbacks;
  for (Slot& slot : slots_)
    if (slot.on_close) callbacks.push_back(std::move(slot.on_close));
  slots_.clear();
  return callbacks;
}

}  // namespace kite::server::http
