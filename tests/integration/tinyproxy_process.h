// A real HTTP CONNECT proxy (Debian's tinyproxy) for one test, on a free loopback port, asking
// for basic auth (kUser / kPassword). It runs in the foreground (-d) as a ChildProcess: killed
// even when the test fails, its output printed with the failure. The constructor returns once it
// accepts connections.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "child_process.h"
#include "kited_process.h"
#include "raw_socket.h"

namespace kite::it {

class TinyproxyProcess {
 public:
  static constexpr const char* kUser = "kite";
  static constexpr const char* kPassword = "s3cret";

  TinyproxyProcess() : port_(free_port()) {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "kite-tinyproxy-XXXXXX").string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    dir_ = pattern;
    std::ofstream(dir_ / "tinyproxy.conf")
        << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 60\nMaxClients 200\nLogLevel Info\n"
        << "Allow 127.0.0.1\nBasicAuth " << kUser << " " << kPassword << "\n";
    if (::access("/usr/bin/tinyproxy", X_OK) != 0)
      throw std::runtime_error("tinyproxy is not installed: run tools/dev/setup");
    child_ = std::make_unique<ChildProcess>(
        "tinyproxy", "/usr/bin/tinyproxy",
        std::vector<std::string>{"-d", "-c", (dir_ / "tinyproxy.conf").string()});
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (;;) {
      try {
        ::close(connect_tcp(port_));
        return;
      } catch (const std::exception&) {
        if (std::chrono::steady_clock::now() >= deadline || child_->wait_exit(0))
          throw std::runtime_error("tinyproxy did not start: " + child_->err());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling pace
      }
    }
  }
  ~TinyproxyProcess() {
    child_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  TinyproxyProcess(const TinyproxyProcess&) = delete;
  TinyproxyProcess& operator=(const TinyproxyProcess&) = delete;

  // The SDK's proxy option for it, with these credentials.
  std::string url(const std::string& user = kUser, const std::string& password = kPassword) const {
    return "http://" + user + ":" + password + "@127.0.0.1:" + std::to_string(port_);
  }

 private:
  std::uint16_t port_;
  std::filesystem::path dir_;
  std::unique_ptr<ChildProcess> child_;
};

}  // namespace kite::it
