// The backend side of `kite bench fanout`: on a thread of its own, puts the devices in the group
// (PUT /v1/groups/{g}/members/{id}), then sends group messages through POST /v1/messages, one per
// request or `burst` per request (the batch form), keeping at most `window` messages in flight
// (sent, not yet received by every member). Each payload starts with the send time (steady
// clock, ns) and the message's index, for the receiving side to measure latency.
//
// Threads: start() and stop() from the scenario's loop thread; completed() from it too (a
// message reached every member); everything else runs on the sender's thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench.h"

namespace kite::bench {

inline constexpr std::size_t kFanoutStampBytes = 16;  // send time (ns) + message index

class GroupSender {
 public:
  explicit GroupSender(const BenchOptions& options) : options_(options) {}
  ~GroupSender() { stop(); }

  // Joins `members` device ids to the group, then sends until stop() or --messages.
  void start(std::vector<std::string> members);
  void stop();

  // A message reached every member: room in the window.
  void completed();
  // With --messages, sending waits after the join until this call (the measurement starts).
  void release();

  bool joined() const { return joined_.load(); }       // the group is complete: sending started
  std::uint64_t sent() const { return sent_.load(); }  // messages accepted by kited
  std::uint64_t requests() const { return requests_.load(); }
  // Messages the window stopped waiting for (not received by every member within 5 s).
  std::uint64_t given_up() const { return given_up_.load(); }
  bool finished() const { return finished_.load(); }  // --messages sent, or an error
  // What went wrong ("" if nothing): an HTTP error, a refused request.
  std::string error() const;
  // The error as a kind for the run's ErrorTally: "http:<status>", or "http:unreachable" when
  // the request could not be made.
  std::string error_kind() const;

 private:
  void run(std::vector<std::string> members);
  bool join(const std::vector<std::string>& members);
  bool wait_for_room();
  std::string body(std::uint64_t first_index);
  void fail(std::string error, int status);

  const BenchOptions& options_;
  std::thread thread_;
  std::atomic<bool> stopping_{false}, joined_{false}, finished_{false}, released_{false};
  std::atomic<std::uint64_t> sent_{0}, requests_{0}, given_up_{0};
  mutable std::mutex mutex_;  // guards the next three, and waits for released_
  std::condition_variable room_;
  std::uint64_t completed_ = 0;
  std::string error_;
  int error_status_ = 0;
};

}  // namespace kite::bench
