#include "bench/run_link.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>

#include <fmt/format.h>

#include "bench/child_wire.h"
#include "bench/common.h"

namespace kite::bench {
namespace {

class AloneLink final : public RunLink {
 public:
  AloneLink(Scenario scenario, const BenchOptions& options, ClientLoop& loop)
      : loop_(loop), printer_(scenario, speaker(options)) {}

  void progress(const Progress& progress, const Histogram& latency) override {
    printer_.print(progress, &latency);
  }
  void ready(std::function<void()> start) override { start(); }
  void hold(double seconds, std::function<void()> done) override {
    loop_.after(static_cast<std::uint64_t>(seconds * 1000), std::move(done));
  }

 private:
  ClientLoop& loop_;
  ProgressPrinter printer_;
};

// The parent's words arrive on stdin, read without blocking from the loop's own timer: a
// scenario's loop has no other use for stdin, and 20 ms is nothing next to a warm-up.
class ChildLink final : public RunLink {
 public:
  ChildLink(const BenchOptions& options, ClientLoop& loop) : options_(options), loop_(loop) {
    fcntl(STDIN_FILENO, F_SETFL, fcntl(STDIN_FILENO, F_GETFL) | O_NONBLOCK);
    loop_.every(20, [this] { read_words(); });
  }

  void progress(const Progress& progress, const Histogram&) override {
    tell_parent(progress_line(progress));
  }
  void ready(std::function<void()> start) override {
    start_ = std::move(start);
    tell_parent(ready_line());
  }
  void hold(double, std::function<void()> done) override { stop_ = std::move(done); }

 private:
  static void tell_parent(const std::string& line) {
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
  }

  void read_words() {
    char chunk[256];
    for (;;) {
      const ssize_t n = ::read(STDIN_FILENO, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return;  // EAGAIN: nothing yet
      if (n == 0) {
        fmt::print(stderr, "{}: the parent process is gone; stopping\n", speaker(options_));
        return loop_.stop();
      }
      pending_.append(chunk, static_cast<std::size_t>(n));
      for (auto end = pending_.find('\n'); end != std::string::npos; end = pending_.find('\n')) {
        const std::string word = pending_.substr(0, end);
        pending_.erase(0, end + 1);
        if (word == kStartWord && start_) std::exchange(start_, nullptr)();
        if (word == kStopWord && stop_) std::exchange(stop_, nullptr)();
      }
    }
  }

  const BenchOptions& options_;
  ClientLoop& loop_;
  std::string pending_;
  std::function<void()> start_, stop_;
};

}  // namespace

std::unique_ptr<RunLink> make_run_link(Scenario scenario, const BenchOptions& options,
                                       ClientLoop& loop) {
  if (options.child_count != 0) return std::make_unique<ChildLink>(options, loop);
  return std::make_unique<AloneLink>(scenario, options, loop);
}

}  // namespace kite::bench
