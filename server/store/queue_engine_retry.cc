// The public calls of QueueEngine that write, as retries of one attempt each. Over a shared
// backend (one Redis, several kited nodes) two nodes may write the same device at once; the
// second commit then fails as conflicted (queue_backend.h), nothing of it is stored, and the call
// runs again from what is in storage now: decisions (seqs, caps, conflation) are never made on a
// meta record another node has since changed. After kAttempts conflicts the call answers with an
// error, as for a failed write, but the store stays healthy. Single-process backends never
// conflict: each call runs once.
#include <chrono>
#include <random>
#include <thread>

#include "store/queue_engine.h"

namespace kite::server::store {

bool& QueueEngine::conflicted() {
  thread_local bool flag = false;
  return flag;
}

// Two nodes that met on a device would meet again if both started over at once: each waits a
// random time, up to 50 us doubling per attempt, so one gets through. Conflicts need two nodes
// writing one device in the same few hundred microseconds: rare, and the first attempts stay
// that short. The ceiling grows to about 100 ms because a node that lost two races claims the
// device for up to 100 ms (kClaimAfter): the attempts together must outlast such a claim
// (about 0.3 s in all at worst), or a node that stalls while holding one (a busy machine) makes
// every other node's write to that device fail, and with it the whole batch it is part of
// (test 43.1: a bulk send answered "failed" for 20 devices).
void QueueEngine::back_off(int attempt) {
  thread_local std::minstd_rand random{std::random_device{}()};
  const int ceiling_us = 50 << std::min(attempt, 11);
  std::this_thread::sleep_for(
      std::chrono::microseconds(std::uniform_int_distribution<int>(0, ceiling_us)(random)));
}

// A batch is one transaction over every device it names, so any other node writing any one of
// them makes it start again; with tens of devices under steady traffic on other nodes it may never
// find them all quiet (test 44.1: a bulk send of 20 devices refused while 1,000 devices resumed
// and acked on the other nodes). A batch that lost kClaimAfter races goes on one device at a time:
// each of those needs only its own device quiet, and claims it once it too lost that often. The
// devices' answers are independent anyway: only one device's messages keep their order.
void QueueEngine::enqueue_batch(std::span<const std::pair<std::string_view, NewMessage>> messages,
                                std::uint64_t now_ms, std::vector<EnqueueResult>& results) {
  enqueue_batch_retrying(messages, now_ms, results, false);
}

void QueueEngine::enqueue_batch_deferred(
    std::span<const std::pair<std::string_view, NewMessage>> messages, std::uint64_t now_ms,
    std::vector<EnqueueResult>& results, std::uint64_t settle_group) {
  enqueue_batch_retrying(messages, now_ms, results, true, settle_group);
}

void QueueEngine::enqueue_batch_retrying(
    std::span<const std::pair<std::string_view, NewMessage>> messages, std::uint64_t now_ms,
    std::vector<EnqueueResult>& results, bool deferred, std::uint64_t settle_group) {
  const int attempts = messages.size() > 1 ? kClaimAfter : kAttempts;
  if (retrying([&] { enqueue_batch_once(messages, now_ms, results, deferred, settle_group); },
               attempts) ||
      messages.size() < 2)
    return;
  results.clear();
  std::vector<EnqueueResult> one;
  for (std::size_t i = 0; i < messages.size(); ++i) {
    retrying(
        [&] { enqueue_batch_once(messages.subspan(i, 1), now_ms, one, deferred, settle_group); });
    results.push_back(std::move(one.front()));
  }
}

void QueueEngine::read(std::string_view device_id, std::uint64_t after_seq,
                       std::size_t max_messages, std::size_t max_bytes, std::uint64_t now_ms,
                       std::vector<StoredMessage>& out) {
  retrying([&] { read_once(device_id, after_seq, max_messages, max_bytes, now_ms, out); });
}

bool QueueEngine::write_turn(std::span<const std::pair<std::string_view, std::uint64_t>> acks,
                             std::span<const std::pair<std::string_view, std::uint64_t>> uplinks,
                             std::span<const EventRecord> events) {
  return write_turn_retrying(acks, uplinks, events, false);
}

bool QueueEngine::write_turn_deferred(
    std::span<const std::pair<std::string_view, std::uint64_t>> acks,
    std::span<const EventRecord> events) {
  return write_turn_retrying(acks, {}, events, true);
}

bool QueueEngine::write_turn_retrying(
    std::span<const std::pair<std::string_view, std::uint64_t>> acks,
    std::span<const std::pair<std::string_view, std::uint64_t>> uplinks,
    std::span<const EventRecord> events, bool defer_events) {
  bool written = false;
  const int attempts = acks.size() + uplinks.size() > 1 ? kClaimAfter : kAttempts;
  if (retrying([&] { written = write_turn_once(acks, uplinks, events, defer_events); }, attempts) ||
      acks.size() + uplinks.size() < 2)
    return written;
  // As enqueue_batch: a turn that keeps meeting other nodes' writes goes one device at a time, the
  // events with the first. True only if every part was written.
  auto events_left = events;
  auto one_device = [&](auto acks_part, auto uplinks_part) {
    bool part = false;
    retrying([&] { part = write_turn_once(acks_part, uplinks_part, events_left, defer_events); });
    events_left = {};
    return part;
  };
  written = true;
  for (std::size_t i = 0; i < acks.size(); ++i)
    written = one_device(acks.subspan(i, 1), uplinks.first(0)) && written;
  for (std::size_t i = 0; i < uplinks.size(); ++i)
    written = one_device(acks.first(0), uplinks.subspan(i, 1)) && written;
  return written;
}

void QueueEngine::discard(std::string_view device_id, std::uint64_t seq) {
  retrying([&] { discard_once(device_id, seq); });
}

void QueueEngine::set_uplink_last_received(std::string_view device_id, std::uint64_t seq) {
  retrying([&] { set_uplink_last_received_once(device_id, seq); });
}

}  // namespace kite::server::store
