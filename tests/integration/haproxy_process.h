// A real HAProxy (mode tcp) in front of a kited for one test: each frontend listens on a free
// loopback port and forwards to one kited port, writing a PROXY header (send-proxy for v1,
// send-proxy-v2 for v2) from the source address kSource, so kited can list that address in
// proxy_from while the tests' own direct connections (127.0.0.1) stay ordinary peers.
//
// HAProxy runs in the foreground (-db) as a ChildProcess: its destructor kills it even when the
// test fails, and its output is printed with the test's failure. The constructor returns once
// every frontend accepts connections.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "child_process.h"

namespace kite::it {

class HaproxyProcess {
 public:
  static constexpr const char* kSource = "127.0.0.9";  // the proxy's address, as kited sees it

  enum class Header { v1, v2 };
  struct Frontend {
    std::uint16_t backend_port = 0;  // the kited port it forwards to
    Header header = Header::v2;
    // Several kited nodes instead (backend_port unused): round-robin among those that answer a
    // health check (every 100 ms, one failure marks a node down); a connection a dead node
    // refuses is tried on another.
    std::vector<std::uint16_t> nodes = {};
  };

  explicit HaproxyProcess(const std::vector<Frontend>& frontends);
  ~HaproxyProcess();
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  // The port clients dial for frontends[index].
  std::uint16_t port(std::size_t index) const { return ports_.at(index); }

  // Where haproxy is installed; empty if it is not (tools/dev/setup installs it).
  static std::string path();

 private:
  std::filesystem::path dir_;
  std::vector<std::uint16_t> ports_;
  std::unique_ptr<ChildProcess> child_;
};

}  // namespace kite::it
