// Starting, stopping and watching a kited child process (see kited_process.h).
#include "kited_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <algorithm>
#include <string_view>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "../support/free_port.h"
#include "failure_log.h"
#include "http_client.h"

extern char** environ;

namespace kite::it {
namespace {

// The tests write to peers that may close first: kited refusing a client, a TLS client's
// socket, a pipe to a child that exited. Such a write must fail that one test with EPIPE, not
// end the whole binary with SIGPIPE. A handler (not SIG_IGN) is reset by exec, so the kited and
// kite processes the tests spawn still see the default disposition.
[[maybe_unused]] const bool sigpipe_caught = [] {
  struct sigaction action {};
  action.sa_handler = [](int) {};
  sigemptyset(&action.sa_mask);
  return ::sigaction(SIGPIPE, &action, nullptr) == 0;
}();

}  // namespace

std::vector<std::uint8_t> master_key() {
  return std::vector<std::uint8_t>(32, kMasterKeyByte);
}

std::string master_key_hex() {
  std::string hex;
  char buf[3];
  for (auto b : master_key()) {
    std::snprintf(buf, sizeof buf, "%02x", b);
    hex += buf;
  }
  return hex;
}

std::uint16_t free_port() {
  return kite::test_support::free_port();
}

KitedProcess::KitedProcess(std::vector<std::string> extra) : KitedProcess(std::move(extra), 0) {}

KitedProcess::KitedProcess(std::vector<std::string> extra, std::uint16_t device_port)
    : extra_(std::move(extra)), fixed_device_port_(device_port) {
  std::string pattern = (std::filesystem::temp_directory_path() / "kite-it-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  log_path_ = dir_ / "kited.log";
  spawn(false);
}

KitedProcess::~KitedProcess() {
  if (pid_ > 0) kill9();
  keep_log_for_failure("kited log (" + dir_.string() + ")", log());
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

// Ports are picked at random below the ephemeral range (free_port.h): a parallel test may pick
// and bind the same one between the check and kited's bind. Then kited exits at start saying so,
// and is started again on other ports (twice at most); on its own ports it is an error.
void KitedProcess::spawn(bool same_ports) {
  for (int attempt = 0;; ++attempt) {
    try {
      spawn_once(same_ports);
      return;
    } catch (const std::runtime_error& error) {
      const bool taken =
          std::string_view(error.what()).find("Address already in use") != std::string_view::npos;
      if (same_ports || fixed_device_port_ || !taken || attempt == 2) throw;
    }
  }
}

void KitedProcess::spawn_once(bool same_ports) {
  if (!same_ports) {
    device_port_ = fixed_device_port_ ? fixed_device_port_ : free_port();
    admin_port_ = free_port();
    while (admin_port_ == device_port_) admin_port_ = free_port();
  }
  std::vector<std::string> args = {KITED_PATH,
                                   "--mode",
                                   "development",
                                   "--device-listen",
                                   "127.0.0.1:" + std::to_string(device_port_),
                                   "--admin-listen",
                                   "127.0.0.1:" + std::to_string(admin_port_),
                                   "--data-dir",
                                   (dir_ / "data").string(),
                                   "--workers",
                                   "2",
                                   "--admin-token",
                                   kAdminToken,
                                   "--log-level",
                                   "debug",
                                   "--set",
                                   "auth.master_key=" + master_key_hex()};
  // A test's own --mode or --workers replaces the default above (kited takes each flag once).
  for (const char* flag : {"--mode", "--workers"}) {
    if (std::find(extra_.begin(), extra_.end(), flag) == extra_.end()) continue;
    auto at = std::find(args.begin(), args.end(), flag);
    args.erase(at, at + 2);
  }
  args.insert(args.end(), extra_.begin(), extra_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int status = ::posix_spawn(&pid_, KITED_PATH, &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (status != 0) {
    pid_ = -1;
    throw std::runtime_error(std::string("posix_spawn kited: ") + std::strerror(status));
  }
  wait_healthy();
}

void KitedProcess::wait_healthy() {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("kited exited during start; its log:\n" + log());
    }
    HttpClient http(admin_port_);
    auto response = http.try_request("GET", "/healthz", "", false);
    if (response && response->status == 200) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling pace, not a sync
  }
  throw std::runtime_error("kited did not become healthy in 20 s; its log:\n" + log());
}

void KitedProcess::reap(int* status) {
  int s = 0;
  while (::waitpid(pid_, &s, 0) < 0 && errno == EINTR) {
  }
  if (status) *status = s;
  pid_ = -1;
}

bool KitedProcess::alive() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (::waitpid(pid_, &status, WNOHANG) != pid_) return true;
  pid_ = -1;
  return false;
}

void KitedProcess::kill9() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  reap(nullptr);
}

int KitedProcess::terminate(int timeout_ms) {
  if (pid_ <= 0) return -1;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));  // polling pace
  }
  kill9();
  return -1;
}

void KitedProcess::signal(int signum) {
  if (pid_ > 0) ::kill(pid_, signum);
}

void KitedProcess::restart(bool same_ports) {
  if (pid_ > 0) kill9();
  spawn(same_ports);
}

std::size_t KitedProcess::rss_bytes() const {
  std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

std::string KitedProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace kite::it
