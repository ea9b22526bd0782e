// The admin-API side of `kite bench p2p --http N`: N threads, each with one keep-alive
// connection, send QoS 1 messages to random devices one request at a time
// (POST /v1/devices/{id}/messages), keeping at most `window` messages in flight in all (sent, not
// yet received). What a backend without a service connection costs kited, per message.
//
// Threads: start(), stop() and completed() from the scenario's loop thread; the rest on the
// senders' threads. Each payload starts with the send time (steady clock, ns), as p2p's do.
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

class HttpSender {
 public:
  HttpSender(const BenchOptions& options, std::vector<std::string> device_ids)
      : options_(options), device_ids_(std::move(device_ids)) {}
  ~HttpSender() { stop(); }

  void start();
  void stop();
  // A message reached its device: room in the window.
  void completed();

  std::uint64_t sent() const { return sent_.load(); }  // answered 202
  bool failed() const { return failed_.load(); }
  // What went wrong: the first request not answered 202, as text and as an error kind
  // ("http:<status>", or "http:unreachable").
  std::string error() const;
  std::string error_kind() const;

 private:
  void run(std::uint32_t thread_index);
  bool wait_for_room();
  void fail(std::string error, int status);

  const BenchOptions& options_;
  const std::vector<std::string> device_ids_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false}, failed_{false};
  std::atomic<std::uint64_t> sent_{0};
  mutable std::mutex mutex_;  // guards the next four
  std::condition_variable room_;
  std::uint64_t in_flight_ = 0;
  std::string error_;
  int error_status_ = 0;
};

}  // namespace kite::bench
