#include "bench/child_process.h"

#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <thread>

#include <fmt/format.h>

namespace kite::bench {

ChildProcess::~ChildProcess() {
  if (running()) {
    signal(SIGKILL);
    reap(-1);
  }
  if (in_ >= 0) ::close(in_);
  if (out_ >= 0) ::close(out_);
}

std::string ChildProcess::start(const std::vector<std::string>& args) {
  int to_child[2], from_child[2];
  // Close-on-exec: a later child must not hold an earlier one's pipes (it would never see the
  // end of its stdin when the parent goes).
  if (pipe2(to_child, O_CLOEXEC) != 0) return std::string("pipe: ") + std::strerror(errno);
  if (pipe2(from_child, O_CLOEXEC) != 0) {
    ::close(to_child[0]);
    ::close(to_child[1]);
    return std::string("pipe: ") + std::strerror(errno);
  }
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {  // only async-signal-safe calls until exec
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent) _exit(127);  // the parent died already
    dup2(to_child[0], STDIN_FILENO);
    dup2(from_child[1], STDOUT_FILENO);
    execv("/proc/self/exe", argv.data());
    _exit(127);
  }
  const int fork_errno = errno;
  ::close(to_child[0]);
  ::close(from_child[1]);
  in_ = to_child[1];
  out_ = from_child[0];
  if (pid < 0) return std::string("fork: ") + std::strerror(fork_errno);
  pid_ = pid;
  fcntl(out_, F_SETFL, fcntl(out_, F_GETFL) | O_NONBLOCK);
  return {};
}

bool ChildProcess::read_lines(std::vector<std::string>& lines) {
  char chunk[64 * 1024];
  for (;;) {
    const ssize_t n = ::read(out_, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK;
    if (n == 0) return false;
    partial_.append(chunk, static_cast<std::size_t>(n));
    std::size_t begin = 0;
    for (auto end = partial_.find('\n'); end != std::string::npos;
         end = partial_.find('\n', begin)) {
      lines.push_back(partial_.substr(begin, end - begin));
      begin = end + 1;
    }
    partial_.erase(0, begin);
  }
}

void ChildProcess::tell(std::string_view word) {
  if (in_ < 0) return;
  const std::string line = std::string(word) + "\n";
  // A few bytes into an empty pipe: whole or not at all (EPIPE: it is gone; SIGPIPE is ignored).
  if (::write(in_, line.data(), line.size()) < 0) {
    ::close(in_);
    in_ = -1;
  }
}

void ChildProcess::signal(int signum) {
  if (running()) ::kill(pid_, signum);
}

int ChildProcess::reap(int grace_ms) {
  int status = 0;
  if (!running()) return status;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(grace_ms);
  for (;;) {
    const pid_t done = waitpid(pid_, &status, grace_ms < 0 ? 0 : WNOHANG);
    if (done == pid_ || (done < 0 && errno != EINTR)) break;
    if (done == 0 && std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      grace_ms = -1;  // now wait for it
      continue;
    }
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = -1;
  return status;
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
  return fmt::format("ended with wait status {}", status);
}

}  // namespace kite::bench
