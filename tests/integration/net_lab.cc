// A network namespace for a test's devices (see net_lab.h).
#include "net_lab.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace kite::it {
namespace {

constexpr std::string_view kPrefix = "kitelab-";

// Runs a shell command: its output (stdout and stderr); `ok` says whether it exited with 0.
std::string run(const std::string& command, bool* ok) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (!pipe) {
    *ok = false;
    return "popen failed: " + std::string(std::strerror(errno));
  }
  std::array<char, 512> buffer{};
  while (std::fgets(buffer.data(), buffer.size(), pipe)) output += buffer.data();
  const int status = ::pclose(pipe);
  *ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return output;
}

void must(const std::string& command) {
  bool ok = false;
  const std::string output = run(command, &ok);
  if (!ok)
    throw std::runtime_error("net lab: `" + command + "` failed: " + output +
                             " (the fault tests need root and iproute2)");
}

// Labs whose test process is gone (killed before its destructors ran): their names carry the
// pid that made them.
void delete_orphans() {
  bool ok = false;
  const std::string listing = run("ip netns list", &ok);
  if (!ok) return;
  std::size_t at = 0;
  while ((at = listing.find(kPrefix, at)) != std::string::npos) {
    const std::size_t end = listing.find_first_of(" \n", at);
    const std::string name = listing.substr(at, end - at);
    at = end;
    const std::string pid_text = name.substr(kPrefix.size());  // strtol stops at the '-'
    const pid_t pid = static_cast<pid_t>(std::strtol(pid_text.c_str(), nullptr, 10));
    if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) run("ip netns delete " + name, &ok);
  }
}

}  // namespace

NetLab::NetLab() {
  static std::atomic<int> made{0};
  const int index = made.fetch_add(1);
  if (index >= 64) throw std::runtime_error("net lab: at most 64 labs per test process");
  // Two live test processes whose pids agree in their low 15 bits would share a subnet: with
  // kernel.pid_max at 32,768 (here) they cannot.
  const pid_t pid = ::getpid();
  const std::string tag = std::to_string(pid) + "-" + std::to_string(index);
  name_ = std::string(kPrefix) + tag;
  // Interface names: at most 15 characters.
  host_interface_ = "klh" + tag;
  lab_interface_ = "kll" + tag;
  const std::string subnet =
      "10." + std::to_string(128 + (pid >> 8)) + "." + std::to_string(pid & 0xff) + ".";
  host_address_ = subnet + std::to_string(index * 4 + 1);
  lab_address_ = subnet + std::to_string(index * 4 + 2);

  delete_orphans();
  bool ok = false;
  run("ip netns delete " + name_, &ok);  // left by a dead process whose pid this one reuses
  must("ip netns add " + name_);
  try {
    must("ip link add " + host_interface_ + " type veth peer name " + lab_interface_ + " netns " +
         name_);
    must("ip addr add " + host_address_ + "/30 dev " + host_interface_);
    must("ip link set " + host_interface_ + " up");
    const std::string in_lab = "ip netns exec " + name_ + " ";
    must(in_lab + "ip addr add " + lab_address_ + "/30 dev " + lab_interface_);
    must(in_lab + "ip link set " + lab_interface_ + " up");
    must(in_lab + "ip link set lo up");
    namespace_fd_ = ::open(("/var/run/netns/" + name_).c_str(), O_RDONLY | O_CLOEXEC);
    if (namespace_fd_ < 0) throw std::runtime_error("net lab: cannot open the namespace");
  } catch (...) {
    run("ip netns delete " + name_, &ok);  // takes the lab's end of the pair, and so both
    throw;
  }
}

NetLab::~NetLab() {
  if (namespace_fd_ >= 0) ::close(namespace_fd_);
  bool ok = false;
  run("ip netns delete " + name_, &ok);
  run("ip link delete " + host_interface_, &ok);  // gone with the namespace, normally
}

void NetLab::enter() const {
  if (::setns(namespace_fd_, CLONE_NEWNET) != 0)
    throw std::runtime_error("net lab: setns: " + std::string(std::strerror(errno)));
}

void NetLab::set_link(bool up) {
  must("ip link set " + host_interface_ + (up ? " up" : " down"));
}

}  // namespace kite::it
