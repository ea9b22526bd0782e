// Runs the `kite` binary (KITE_PATH) as a child process for the CLI tests: arguments, stdin text
// and environment given, exit code, stdout and stderr back. The child's environment is this
// process's without KITE_* variables (a developer's KITE_ADMIN_TOKEN must not leak into a test),
// plus `env`. A child still running after 30 s is killed and reported as exit code -1.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <string>
#include <vector>

namespace kite::it {

struct KiteRun {
  int exit_code = -1;  // -1: killed (timed out or ended by a signal)
  std::string out, err;
};

KiteRun run_kite(const std::vector<std::string>& args, const std::string& stdin_text = {},
                 const std::vector<std::string>& env = {});

// A `kite` left running while the test does something else (kite listen). Its stdout and stderr
// are files, readable at any time. The destructor kills it (SIGKILL) if it is still running and
// removes the files, so a failing test leaves nothing behind.
class KiteChild {
 public:
  explicit KiteChild(const std::vector<std::string>& args, const std::string& stdin_text = {},
                     const std::vector<std::string>& env = {});
  ~KiteChild();
  KiteChild(const KiteChild&) = delete;
  KiteChild& operator=(const KiteChild&) = delete;

  // Waits up to `timeout_ms` for it to exit (then kills it): its exit code (-1 if killed or
  // ended by a signal), stdout and stderr.
  KiteRun wait(int timeout_ms);
  // Polls (2 ms pace) until its stdout or stderr holds `text`, up to `timeout_ms`.
  bool wait_output(const std::string& text, int timeout_ms, bool in_stderr = false) const;
  void signal(int signum);
  std::string out() const;
  std::string err() const;

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  int exit_code_ = -1;
};

}  // namespace kite::it
