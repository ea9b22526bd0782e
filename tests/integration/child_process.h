// Any program run as a child process for the length of a test (the examples, for instance):
// stdout and stderr go to files in a temporary directory (a chatty child never blocks on a full
// pipe), read back while it runs. The destructor kills (SIGKILL) and reaps a child still
// running and removes the directory, so a failing test leaves nothing behind; the child's
// stderr and stdout are printed when the test case fails (failure_log.h).
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kite::it {

class ChildProcess {
 public:
  // Starts `path` with `args` (argv[1]...); `label` names it in failure logs. Throws if it cannot.
  ChildProcess(std::string label, const std::string& path, const std::vector<std::string>& args);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signum);
  // Waits up to `timeout_ms` for the child to end: its exit code (128 + N when signal N ended
  // it), or nullopt if it is still running at the deadline (it is left running). Once it has
  // ended, every call returns the same code.
  std::optional<int> wait_exit(int timeout_ms);
  // Everything the child wrote so far.
  std::string out() const;
  std::string err() const;
  // Waits up to `timeout_ms` until out() (or err()) contains `text`.
  bool wait_out(const std::string& text, int timeout_ms) const;
  bool wait_err(const std::string& text, int timeout_ms) const;

 private:
  std::string label_;
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

}  // namespace kite::it
