// tcpdump capturing one port on loopback into a file of a temporary directory, for the tests of
// the capture tools (kite decode, kite replay, the Wireshark dissector). The destructor stops
// tcpdump (SIGKILL, by ChildProcess) if it still runs, then the directory goes, so a failing
// test leaves neither behind.
#pragma once

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "harness.h"
#include "test_pki.h"

namespace kite::it {

class Tcpdump {
 public:
  explicit Tcpdump(std::uint16_t port) : file_(dir_.path() / "kite.pcap") {
    const std::string binary = find_binary();
    REQUIRE_MESSAGE(!binary.empty(), "tcpdump is not installed (the setup script installs it)");
    // -U and --immediate-mode: each packet reaches the file as it is captured, so that the
    // conversation is whole in it when the test stops tcpdump. -Z root: tcpdump keeps root
    // (when it is root) instead of dropping to a user that cannot write in our directory.
    // -B: a 32 MiB kernel buffer (the default 2 MiB overflowed on a busy machine: packets
    // "dropped by kernel", and the dissector then missed a segment of a large frame).
    std::vector<std::string> args = {"-i", "lo",    "-U", "--immediate-mode",
                                     "-B", "32768", "-w", file_.string()};
    if (::geteuid() == 0) args.insert(args.end(), {"-Z", "root"});
    args.insert(args.end(), {"tcp", "port", std::to_string(port)});
    process_ = std::make_unique<ChildProcess>("tcpdump", binary, args);
    const bool listening = process_->wait_err("listening on", kWait);
    INFO("tcpdump stderr: " << process_->err());
    REQUIRE_MESSAGE(listening, "tcpdump did not start capturing (it must run as root)");
  }
  ~Tcpdump() { process_.reset(); }  // tcpdump ends before its directory goes
  Tcpdump(const Tcpdump&) = delete;
  Tcpdump& operator=(const Tcpdump&) = delete;

  // SIGINT: tcpdump writes what it has and exits 0. Packets the kernel holds for tcpdump but it
  // has not read yet are lost at SIGINT (its "received by filter" above "captured"): on a loaded
  // machine tcpdump lags, so first wait until the file has stopped growing for 300 ms.
  void stop() {
    const Millis deadline = now_ms() + kWait;
    std::uintmax_t size = 0;
    Millis stable_since = now_ms();
    while (now_ms() < deadline && now_ms() - stable_since < 300) {
      std::error_code error;
      const std::uintmax_t now_size = std::filesystem::file_size(file_, error);
      if (!error && now_size != size) {
        size = now_size;
        stable_since = now_ms();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    process_->signal(SIGINT);
    const auto code = process_->wait_exit(kWait);
    INFO("tcpdump stderr: " << process_->err());
    REQUIRE(code);
    CHECK(*code == 0);
  }

  const std::filesystem::path& file() const { return file_; }
  const std::filesystem::path& dir() const { return dir_.path(); }

 private:
  static std::string find_binary() {
    for (const char* path : {"/usr/bin/tcpdump", "/usr/sbin/tcpdump", "/usr/local/bin/tcpdump"})
      if (::access(path, X_OK) == 0) return path;
    return {};
  }

  test::TempDir dir_;
  std::filesystem::path file_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace kite::it
