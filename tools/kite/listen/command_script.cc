#include "listen/command_script.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>

extern char** environ;

namespace kite::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kDefaultTimeoutMs = 10'000;  // kited's, for a command that names none

// A file descriptor closed when it goes out of scope (or earlier, by reset()).
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  bool open() const { return fd_ >= 0; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

bool make_pipe(Pipe& p) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  p.read.reset(fds[0]);
  p.write.reset(fds[1]);
  return true;
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

Reply failure(std::uint16_t status, const std::string& message) {
  return {status, "kite listen: " + message};
}

// The child: stdin and stdout are our pipes (dup2 clears their close-on-exec), its own process
// group (a timeout kills whatever it started too), no signal blocked, and SIGPIPE back to its
// default: kite ignores it, and an ignored signal would stay ignored across exec.
int spawn(const std::string& script, const std::string& name, int in, int out, pid_t& pid) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in, STDIN_FILENO);
  posix_spawn_file_actions_adddup2(&actions, out, STDOUT_FILENO);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t none, defaults;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  std::string argv0 = script, argv1 = name;
  char* argv[] = {argv0.data(), argv1.data(), nullptr};
  const int status = ::posix_spawnp(&pid, script.c_str(), &actions, &attributes, argv, environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  return status;
}

// The shell's numbers: 127 when there is no such file, 126 when it is there but cannot be
// executed, and 125 when kite itself failed (out of processes or memory).
std::uint16_t spawn_failure_status(int error) {
  switch (error) {
    case ENOENT:
    case ENOTDIR:
      return kScriptNotFound;
    case EACCES:
    case EPERM:
    case ENOEXEC:
    case EISDIR:
    case ETXTBSY:
      return kScriptNotExecutable;
    default:
      return kScriptFailed;
  }
}

// Feeds the payload, collects stdout and waits for the exit, all until `deadline`.
class ScriptRun {
 public:
  ScriptRun(pid_t pid, Pipe& in, Pipe& out, std::string_view payload)
      : pid_(pid), in_(in.write), out_(out.read), payload_(payload) {
    // A pidfd becomes readable when the child exits, so one poll() waits for everything. Without
    // one (a kernel before 5.3) the exit is checked every 10 ms instead.
    pidfd_.reset(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    set_nonblocking(in_.get());
    set_nonblocking(out_.get());
    if (payload_.empty()) in_.reset();
  }

  enum class End { Exited, TimedOut, TooMuchOutput };

  End wait(Clock::time_point deadline) {
    for (;;) {
      if (!exited_) exited_ = ::waitpid(pid_, &status_, WNOHANG) == pid_;
      if (exited_) {
        // Whatever it wrote before exiting is in the pipe now; a process it left behind may
        // still hold the pipe open, so nothing more is waited for.
        if (!read_output()) return kill_all(End::TooMuchOutput);
        return End::Exited;
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return kill_all(End::TimedOut);
      std::vector<pollfd> fds;
      if (in_.open()) fds.push_back({in_.get(), POLLOUT, 0});
      if (out_.open()) fds.push_back({out_.get(), POLLIN, 0});
      if (pidfd_.open()) fds.push_back({pidfd_.get(), POLLIN, 0});
      const int wait_ms = pidfd_.open() ? static_cast<int>(left) : std::min<int>(10, left);
      if (::poll(fds.data(), fds.size(), wait_ms) < 0 && errno != EINTR)
        return kill_all(End::TimedOut);  // cannot happen with valid fds; never wait blind
      write_input();
      if (!read_output()) return kill_all(End::TooMuchOutput);
    }
  }

  int status() const { return status_; }
  std::string& output() { return output_; }

 private:
  void write_input() {
    while (in_.open() && written_ < payload_.size()) {
      const ssize_t n = ::write(in_.get(), payload_.data() + written_, payload_.size() - written_);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) return;
      if (n < 0) break;  // EPIPE: the script does not read its stdin, which is its right
      written_ += static_cast<std::size_t>(n);
    }
    in_.reset();  // all written, or no reader: EOF on its stdin
  }

  // Reads what is there; false when the output went past kMaxScriptOutput.
  bool read_output() {
    char chunk[16384];
    while (out_.open()) {
      const ssize_t n = ::read(out_.get(), chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && errno == EAGAIN) break;
      if (n <= 0) {
        out_.reset();
        break;
      }
      output_.append(chunk, static_cast<std::size_t>(n));
      if (output_.size() > kMaxScriptOutput) return false;
    }
    return true;
  }

  // Once reaped, its pid (and group id) may belong to someone else: only a live child is killed.
  End kill_all(End end) {
    if (exited_) return end;
    ::kill(-pid_, SIGKILL);  // its process group: what it started goes too
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    exited_ = true;
    return end;
  }

  pid_t pid_;
  Fd& in_;
  Fd& out_;
  Fd pidfd_;
  std::string_view payload_;
  std::size_t written_ = 0;
  std::string output_;
  bool exited_ = false;
  int status_ = 0;
};

}  // namespace

std::uint32_t script_budget_ms(std::uint32_t timeout_ms) {
  if (timeout_ms == 0) timeout_ms = kDefaultTimeoutMs;
  return std::max<std::uint32_t>(1, timeout_ms - std::min<std::uint32_t>(timeout_ms / 10, 1000));
}

Reply run_command_script(const std::string& script, const Command& command) {
  const std::uint32_t budget = script_budget_ms(command.timeout_ms);
  const auto deadline = Clock::now() + std::chrono::milliseconds(budget);
  Pipe in, out;
  if (!make_pipe(in) || !make_pipe(out))
    return failure(kScriptFailed, std::string("cannot make a pipe: ") + std::strerror(errno));
  pid_t pid = -1;
  if (int error = spawn(script, std::string(command.name), in.read.get(), out.write.get(), pid);
      error != 0) {
    return failure(spawn_failure_status(error),
                   "cannot run " + script + ": " + std::strerror(error));
  }
  in.read.reset();  // the child's ends: only the child holds them now, so EOF means it is done
  out.write.reset();

  ScriptRun run(pid, in, out, command.payload);
  switch (run.wait(deadline)) {
    case ScriptRun::End::TimedOut:
      return failure(kScriptTimedOut,
                     script + " ran past the command's time (" + std::to_string(budget) +
                         " of its " + std::to_string(command.timeout_ms) + " ms) and was killed");
    case ScriptRun::End::TooMuchOutput:
      return failure(kScriptFailed, script + " printed more than " +
                                        std::to_string(kMaxScriptOutput) +
                                        " bytes, too much for a reply; it was killed");
    case ScriptRun::End::Exited:
      break;
  }
  const int status = run.status();
  if (WIFSIGNALED(status))
    return failure(static_cast<std::uint16_t>(kScriptSignalBase + WTERMSIG(status)),
                   script + " was ended by signal " + std::to_string(WTERMSIG(status)) + " (" +
                       ::strsignal(WTERMSIG(status)) + ")");
  return {static_cast<std::uint16_t>(WEXITSTATUS(status)), std::move(run.output())};
}

}  // namespace kite::cli
