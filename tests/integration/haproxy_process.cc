// A real HAProxy for a test; see haproxy_process.h.
#include "haproxy_process.h"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "kited_process.h"
#include "raw_socket.h"

namespace kite::it {
namespace {

std::string config_text(const std::vector<HaproxyProcess::Frontend>& frontends,
                        const std::vector<std::uint16_t>& ports) {
  std::string text =
      "global\n"
      "  maxconn 4096\n"
      "defaults\n"
      "  mode tcp\n"
      "  maxconn 4096\n"
      "  retries 3\n"
      "  option redispatch 1\n"
      "  timeout connect 5s\n"
      "  timeout client 60s\n"
      "  timeout server 60s\n";
  for (std::size_t i = 0; i < frontends.size(); ++i) {
    const std::string name = "kite" + std::to_string(i);
    const char* send =
        frontends[i].header == HaproxyProcess::Header::v1 ? "send-proxy" : "send-proxy-v2";
    text += "frontend " + name + "\n  bind 127.0.0.1:" + std::to_string(ports[i]) +
            "\n  default_backend " + name + "\nbackend " + name + "\n  balance roundrobin\n";
    const std::string options = std::string(" ") + send + " source " + HaproxyProcess::kSource;
    if (frontends[i].nodes.empty())
      text +=
          "  server kited 127.0.0.1:" + std::to_string(frontends[i].backend_port) + options + "\n";
    for (std::size_t n = 0; n < frontends[i].nodes.size(); ++n)
      text += "  server node" + std::to_string(n) +
              " 127.0.0.1:" + std::to_string(frontends[i].nodes[n]) + options +
              " check check-send-proxy inter 100ms fall 1 rise 1\n";
  }
  return text;
}

// Whether something accepts connections on 127.0.0.1:`port` now.
bool accepts(std::uint16_t port) {
  try {
    const int fd = connect_tcp(port);
    ::close(fd);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

std::string HaproxyProcess::path() {
  for (const char* candidate : {"/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy"})
    if (::access(candidate, X_OK) == 0) return candidate;
  return {};
}

HaproxyProcess::HaproxyProcess(const std::vector<Frontend>& frontends) {
  const std::string program = path();
  if (program.empty()) throw std::runtime_error("haproxy is not installed: run tools/dev/setup");
  std::string pattern = (std::filesystem::temp_directory_path() / "kite-haproxy-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  for (std::size_t i = 0; i < frontends.size(); ++i) ports_.push_back(free_port());
  std::ofstream(dir_ / "haproxy.cfg") << config_text(frontends, ports_);
  child_ = std::make_unique<ChildProcess>(
      "haproxy", program, std::vector<std::string>{"-db", "-f", (dir_ / "haproxy.cfg").string()});
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (std::uint16_t port : ports_) {
    while (!accepts(port)) {
      if (std::chrono::steady_clock::now() >= deadline || child_->wait_exit(0))
        throw std::runtime_error("haproxy did not start: " + child_->err());
      std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling pace
    }
  }
}

HaproxyProcess::~HaproxyProcess() {
  child_.reset();  // SIGKILL and reap
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

}  // namespace kite::it
