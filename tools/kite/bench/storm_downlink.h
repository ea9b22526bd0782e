// The backend of `kite bench storm`: one thread that sends this process's devices QoS 1 messages
// through kited's admin API (POST /v1/devices/{id}/messages), paced at --down-rate (this
// process's share), round robin over the devices, right through the drain or the kill and the
// restart. Each device's messages carry 1, 2, 3... as their payload, so that the device can say
// which it got and how often (storm_fleet.h), and this side says which kited accepted.
//
// A message kited answered 202 is accepted: it must arrive exactly once. One sent while kited
// went away may have been stored or not (no answer): unconfirmed, neither counted as lost nor as
// a duplicate if it arrives. One that could not even connect was never sent (unreachable). While
// kited is unreachable the thread waits 100 ms between tries rather than spin.
//
// Threads: start() and stop() from the scenario's loop; accepted() only after stop().
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench.h"

namespace kite::bench {

class StormDownlink {
 public:
  StormDownlink(const BenchOptions& options, std::vector<std::string> device_ids);
  ~StormDownlink() { stop(); }
  StormDownlink(const StormDownlink&) = delete;
  StormDownlink& operator=(const StormDownlink&) = delete;

  void start();
  void stop();  // waits for the request in progress (at most its 2 s timeout)

  // After stop(): device i's accepted numbers (index n: message n was answered 202).
  const std::vector<bool>& accepted(std::size_t device) const { return accepted_[device]; }
  std::uint64_t accepted_count() const { return accepted_count_; }
  std::uint64_t unconfirmed() const { return unconfirmed_; }
  std::uint64_t refused() const { return refused_; }
  std::uint64_t unreachable() const { return unreachable_; }

 private:
  void run();

  const BenchOptions& options_;
  const std::vector<std::string> device_ids_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  // Written by the thread only, read after it is joined.
  std::vector<std::vector<bool>> accepted_;
  std::uint64_t accepted_count_ = 0, unconfirmed_ = 0, refused_ = 0, unreachable_ = 0;
};

}  // namespace kite::bench
