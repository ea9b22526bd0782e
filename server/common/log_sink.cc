// The log's writer thread; see log_sink.h.
#include "common/log_sink.h"

#include <unistd.h>

#include <cerrno>
#include <string_view>

namespace kite::server::log {
namespace {

void write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(STDERR_FILENO, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr is gone: nothing more can be said
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

Sink& Sink::instance() {
  static Sink sink;
  return sink;
}

Sink::~Sink() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (writer_.joinable()) writer_.join();
}

void Sink::start_locked() {
  if (!writer_.joinable() && !stopping_) writer_ = std::thread([this] { run(); });
}

void Sink::write(std::string line) {
  {
    std::lock_guard lock(mutex_);
    if (queued_bytes_ + line.size() > kMaxQueuedBytes) {
      ++dropped_;
      ++dropped_unreported_;
      return;
    }
    if (dropped_unreported_ != 0) {
      std::string note = "log.dropped lines=" + std::to_string(dropped_unreported_) +
                         " detail=\"stderr was not keeping up\"\n";
      dropped_unreported_ = 0;
      queued_bytes_ += note.size();
      queue_.push_back(std::move(note));
    }
    queued_bytes_ += line.size();
    queue_.push_back(std::move(line));
    start_locked();
  }
  wake_.notify_one();
}

void Sink::flush() {
  std::unique_lock lock(mutex_);
  drained_.wait(lock, [this] { return (queue_.empty() && !writing_) || !writer_.joinable(); });
}

std::uint64_t Sink::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void Sink::run() {
  std::vector<std::string> batch;
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return !queue_.empty() || stopping_; });
    if (queue_.empty() && stopping_) break;
    batch.swap(queue_);
    writing_ = true;
    lock.unlock();
    std::string joined;
    for (const auto& line : batch) joined += line;
    write_all(joined);
    batch.clear();
    lock.lock();
    queued_bytes_ -= joined.size();
    writing_ = false;
    drained_.notify_all();
  }
}

}  // namespace kite::server::log
