// Brings a process's devices up in order, at most --concurrency handshakes at a time: how conn,
// idle, p2p, uplink and fanout connect. The scenario's events report each outcome (opened(),
// failed()), which makes room for the next connection.
#pragma once

#include <cstdint>

#include "bench/bench.h"
#include "raw_client/client_loop.h"

namespace kite::bench {

class Connector {
 public:
  Connector(const BenchOptions& options, ClientLoop& loop, const sockaddr_storage& target,
            ClientEvents& events)
      : options_(options), loop_(loop), target_(target), events_(events) {}

  // Starts connections until --concurrency are in progress or every device has started.
  // Callable from the scenario's events, including those a failing connect() raises.
  void more();
  void opened() {
    ++opened_;
    more();
  }
  void failed() {
    ++failed_;
    more();
  }

  std::uint32_t opened_count() const { return opened_; }
  std::uint32_t failed_count() const { return failed_; }
  // Every device has an outcome: its session opened, or it failed before.
  bool settled() const { return opened_ + failed_ == options_.devices; }

 private:
  const BenchOptions& options_;
  ClientLoop& loop_;
  const sockaddr_storage& target_;  // filled in by the run's setup, before the first more()
  ClientEvents& events_;
  std::uint32_t started_ = 0, opened_ = 0, failed_ = 0;
  bool starting_ = false;  // inside more(): a connect that fails at once does not recurse
};

}  // namespace kite::bench
