// Running a program as a child process for a test (see child_process.h).
#include "child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "failure_log.h"

extern char** environ;

namespace kite::it {
namespace {

std::string read_all(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

bool wait_for_text(const std::filesystem::path& path, const std::string& text, int timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (read_all(path).find(text) != std::string::npos) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling pace, not a sync
  }
}

}  // namespace

ChildProcess::ChildProcess(std::string label, const std::string& path,
                           const std::vector<std::string>& args)
    : label_(std::move(label)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "kite-child-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;

  std::vector<std::string> argv_text = {path};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (dir_ / "stdout").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (dir_ / "stderr").c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  // The test runner may block signals in its threads; the child starts with none blocked.
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  const int status =
      ::posix_spawn(&pid_, path.c_str(), &actions, &attributes, argv.data(), environ);
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (status != 0) {
    pid_ = -1;
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
    throw std::runtime_error("posix_spawn " + path + ": " + std::strerror(status));
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
    }
  }
  keep_log_for_failure(label_ + " stdout", out());
  keep_log_for_failure(label_ + " stderr", err());
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void ChildProcess::signal(int signum) {
  if (pid_ > 0) ::kill(pid_, signum);
}

std::optional<int> ChildProcess::wait_exit(int timeout_ms) {
  if (pid_ <= 0) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    int status = 0;
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) {
      pid_ = -1;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling pace, not a sync
  }
}

std::string ChildProcess::out() const {
  return read_all(dir_ / "stdout");
}

std::string ChildProcess::err() const {
  return read_all(dir_ / "stderr");
}

bool ChildProcess::wait_out(const std::string& text, int timeout_ms) const {
  return wait_for_text(dir_ / "stdout", text, timeout_ms);
}

bool ChildProcess::wait_err(const std::string& text, int timeout_ms) const {
  return wait_for_text(dir_ / "stderr", text, timeout_ms);
}

}  // namespace kite::it
