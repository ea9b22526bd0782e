// Where kited's log lines go: stderr, written by a thread of its own.
//
// Why a thread: stderr is often a pipe to a log collector, and a collector that stalls would
// block a write() made on a worker loop, stalling every device on that worker. Here a caller
// only appends the formatted line to a queue under a short lock; the writer thread does the
// blocking write. The queue is bounded (kMaxQueuedBytes): beyond it, lines are dropped and
// counted, and the next line that gets through is preceded by a "log.dropped" line saying how
// many were lost, so a stalled collector costs lines, never memory or latency.
//
// The writer starts with the first line and is stopped, after writing what is queued, by
// flush_and_stop() or at process exit (static destruction). Thread-safe.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kite::server::log {

class Sink {
 public:
  static constexpr std::size_t kMaxQueuedBytes = 4 * 1024 * 1024;

  static Sink& instance();
  ~Sink();

  void write(std::string line);
  // Waits until every queued line is written (a clean exit, a test).
  void flush();
  std::uint64_t dropped() const;

 private:
  Sink() = default;
  void run();
  void start_locked();

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable drained_;
  std::vector<std::string> queue_;
  std::size_t queued_bytes_ = 0;
  std::uint64_t dropped_ = 0;
  std::uint64_t dropped_unreported_ = 0;
  bool writing_ = false;
  bool stopping_ = false;
  std::thread writer_;
};

}  // namespace kite::server::log
