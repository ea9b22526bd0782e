// One child of `kite bench --processes`: this same program again (/proc/self/exe) with the
// arguments it is given, its stdin and stdout piped to the parent, its stderr the parent's (its
// warnings reach the user as they are). It is asked to die with the parent (PR_SET_PDEATHSIG),
// so a parent killed before it could stop its children leaves no orphans; and a child sees the
// end of its stdin when the parent is gone.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>
#include <vector>

namespace kite::bench {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess();  // kills and reaps it if it is still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts it with `args` (args[0] is only its name); "" or what went wrong.
  std::string start(const std::vector<std::string>& args);

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  int output_fd() const { return out_; }  // non-blocking: for poll()

  // Appends the complete lines it has written since the last call to `lines`; false once its
  // output has ended (it exited, or closed its stdout).
  bool read_lines(std::vector<std::string>& lines);
  // One line to its stdin (nothing if it is gone).
  void tell(std::string_view word);
  void signal(int signum);
  // Waits for it to end, SIGKILLing it after `grace_ms` (< 0: waits as long as it takes); its
  // wait status.
  int reap(int grace_ms);

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;  // the parent's ends
  std::string partial_;     // the start of a line not ended yet
};

// "exited with status 2", "was killed by signal 9 (Killed)".
std::string describe_wait_status(int status);

}  // namespace kite::bench
