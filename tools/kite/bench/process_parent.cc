#include "bench/process_parent.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <sys/wait.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "bench/child_process.h"
#include "bench/child_wire.h"
#include "bench/common.h"
#include "bench/process_stats.h"
#include "bench/report_print.h"
#include "common/exit_code.h"

namespace kite::bench {
namespace {

using cli::kExitFailed;
using cli::kExitUsage;
constexpr int kGraceMs = 3000;  // a child asked to stop gets this long before SIGKILL

// SIGINT and SIGTERM become a byte on a pipe the main loop polls.
int signal_pipe[2] = {-1, -1};

void on_signal(int signum) {
  const auto byte = static_cast<unsigned char>(signum);
  [[maybe_unused]] auto written = ::write(signal_pipe[1], &byte, 1);
}

bool catch_stop_signals() {
  if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGINT, &action, nullptr) == 0 && sigaction(SIGTERM, &action, nullptr) == 0;
}

// This process's command line, as it was given: what each child runs again.
std::vector<std::string> own_arguments() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  const std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  for (std::size_t begin = 0; begin < all.size();) {
    const std::size_t end = all.find('\0', begin);
    args.push_back(all.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
    if (end == std::string::npos) break;
    begin = end + 1;
  }
  return args;
}

struct Child {
  ChildProcess process;
  Progress progress;
  bool ready = false, ended = false;
  std::optional<RunReport> report;
};

class Parent {
 public:
  Parent(Scenario scenario, const BenchOptions& options)
      : scenario_(scenario), options_(options), printer_(scenario, speaker(options)) {}

  int run();

 private:
  bool start_children();
  // Reads what child i wrote; false if it failed (died, or ended without a report).
  bool take_output(std::size_t i);
  void take_line(Child& child, std::size_t i, const std::string& line);
  bool needs_start() const { return scenario_ != Scenario::Conn; }
  void start_when_all_ready();
  void stop_holding_when_due();
  void print_progress();
  std::string name(std::size_t i) const {
    return fmt::format("process {}/{} (pid {})", i + 1, children_.size(),
                       children_[i]->process.pid());
  }
  int stop_all(const std::string& why);
  int finish();

  Scenario scenario_;
  const BenchOptions& options_;
  ProgressPrinter printer_;
  std::vector<std::unique_ptr<Child>> children_;
  bool started_ = false, stopped_holding_ = false;
  std::int64_t started_ns_ = 0;
  std::uint64_t rss_before_ = 0, rss_after_ = 0;
  int exit_code_ = kExitFailed;  // when the run fails
};

int Parent::run() {
  if (!catch_stop_signals()) {
    fmt::print(stderr, "kite bench: cannot catch SIGINT and SIGTERM: {}\n", std::strerror(errno));
    return kExitFailed;
  }
  if (options_.server_pid) rss_before_ = resident_bytes(options_.server_pid).value_or(0);
  if (!start_children()) return stop_all("");
  std::int64_t next_line_ns = steady_ns() + 1'000'000'000;
  for (;;) {
    std::vector<pollfd> fds{{signal_pipe[0], POLLIN, 0}};
    std::vector<std::size_t> polled;
    for (std::size_t i = 0; i < children_.size(); ++i)
      if (!children_[i]->ended) {
        fds.push_back({children_[i]->process.output_fd(), POLLIN, 0});
        polled.push_back(i);
      }
    if (polled.empty()) return finish();
    const auto wait_ms = std::max<std::int64_t>(0, (next_line_ns - steady_ns()) / 1'000'000);
    if (poll(fds.data(), fds.size(), static_cast<int>(std::min<std::int64_t>(wait_ms, 100))) < 0 &&
        errno != EINTR)
      return stop_all(fmt::format("poll: {}", std::strerror(errno)));
    unsigned char signum = 0;
    if (::read(signal_pipe[0], &signum, 1) == 1)
      return stop_all(fmt::format("interrupted ({})", strsignal(signum)));
    for (std::size_t k = 0; k < polled.size(); ++k)
      if (fds[k + 1].revents != 0 && !take_output(polled[k])) return stop_all("");
    start_when_all_ready();
    stop_holding_when_due();
    if (steady_ns() >= next_line_ns) {
      print_progress();
      next_line_ns += 1'000'000'000;
    }
  }
}

bool Parent::start_children() {
  const std::vector<std::string> args = own_arguments();
  if (args.empty()) {
    fmt::print(stderr, "kite bench: cannot read this process's arguments (/proc/self/cmdline)\n");
    return false;
  }
  for (std::uint32_t i = 0; i < options_.processes; ++i) {
    auto child = std::make_unique<Child>();
    std::vector<std::string> child_args = args;
    child_args.insert(child_args.end(), {"--child-index", std::to_string(i), "--child-count",
                                         std::to_string(options_.processes)});
    if (auto error = child->process.start(child_args); !error.empty()) {
      fmt::print(stderr, "kite bench: cannot start process {}/{}: {}\n", i + 1, options_.processes,
                 error);
      return false;
    }
    children_.push_back(std::move(child));
  }
  return true;
}

bool Parent::take_output(std::size_t i) {
  Child& child = *children_[i];
  std::vector<std::string> lines;
  const bool more = child.process.read_lines(lines);
  for (const auto& line : lines) take_line(child, i, line);
  if (more) return true;
  const std::string who = name(i);
  const int status = child.process.reap(kGraceMs);
  child.ended = true;
  child.progress.phase = Phase::Done;
  if (child.report && !child.report->setup_error.empty()) {
    fmt::print(stderr, "kite bench: {}\n", child.report->setup_error);
    exit_code_ = kExitUsage;
    return false;
  }
  const bool exited_normally = WIFEXITED(status) && WEXITSTATUS(status) <= 1;
  if (child.report && exited_normally) return true;
  fmt::print(stderr, "kite bench: {} {}{}\n", who, describe_wait_status(status),
             child.report ? "" : " without a report");
  return false;
}

void Parent::take_line(Child& child, std::size_t i, const std::string& line) {
  ChildLine said = parse_child_line(line);
  switch (said.type) {
    case ChildLine::Type::Progress:
      child.progress = said.progress;
      return;
    case ChildLine::Type::Ready:
      child.ready = true;
      return;
    case ChildLine::Type::Report:
      child.report = std::move(said.report);
      return;
    case ChildLine::Type::Invalid:
      fmt::print(stderr, "kite bench: {} wrote an unexpected line: {}\n", name(i), line);
      return;
  }
}

// A child that ended (its devices could not connect) does not hold the others back.
void Parent::start_when_all_ready() {
  if (!needs_start() || started_) return;
  for (const auto& child : children_)
    if (!child->ready && !child->ended) return;
  started_ = true;
  started_ns_ = steady_ns();
  for (const auto& child : children_)
    if (!child->ended) child->process.tell(kStartWord);
}

// idle: kited's memory is read while every child still holds its connections.
void Parent::stop_holding_when_due() {
  if (scenario_ != Scenario::Idle || !started_ || stopped_holding_) return;
  if (static_cast<double>(steady_ns() - started_ns_) / 1e9 < options_.seconds) return;
  stopped_holding_ = true;
  if (options_.server_pid) rss_after_ = resident_bytes(options_.server_pid).value_or(0);
  for (const auto& child : children_)
    if (!child->ended) child->process.tell(kStopWord);
}

void Parent::print_progress() {
  Progress all;
  all.phase = Phase::Done;
  for (const auto& child : children_) all.add(child->progress);
  all.devices = options_.devices;
  printer_.print(all);
}

// Something went wrong (`why`, or said already): no child is left running.
int Parent::stop_all(const std::string& why) {
  std::size_t running = 0;
  for (const auto& child : children_) running += child->process.running();
  if (!why.empty())
    fmt::print(stderr, "kite bench: {}; stopping {} process(es)\n", why, running);
  else if (running != 0)
    fmt::print(stderr, "kite bench: stopping the other {} process(es)\n", running);
  for (const auto& child : children_) child->process.signal(SIGTERM);
  for (const auto& child : children_) child->process.reap(kGraceMs);
  return exit_code_;
}

int Parent::finish() {
  RunReport all;
  for (const auto& child : children_) all.merge(*child->report);
  if (scenario_ == Scenario::Idle) {
    all.server_rss_before = rss_before_;
    all.server_rss_after = rss_after_;
  }
  print_report(scenario_, options_, all);
  return report_exit_code(scenario_, all);
}

}  // namespace

int run_in_processes(Scenario scenario, const BenchOptions& options) {
  Parent parent(scenario, options);
  return parent.run();
}

}  // namespace kite::bench
