// A real kited child process for one test: a fresh temporary data directory, free loopback
// ports, a known master key and admin token. It waits until /healthz answers before returning.
// The destructor always kills the child and removes the directory, so a failing test cleans up;
// when a test fails, the child's log (stdout + stderr) is printed by log_on_failure().
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kite::it {

// The fleet master key every kited under test uses (32 bytes, also in hex below).
inline constexpr std::uint8_t kMasterKeyByte = 0x5a;
std::vector<std::uint8_t> master_key();
std::string master_key_hex();
inline constexpr const char* kAdminToken = "integration-admin-token-0123456789";

// A TCP port nobody holds right now (tests/support/free_port.h says how it is chosen).
std::uint16_t free_port();

class KitedProcess {
 public:
  // `extra` are more command-line arguments, e.g. {"--set", "auth.handshake_timeout_ms=1000"}.
  explicit KitedProcess(std::vector<std::string> extra = {});
  // Listens for devices on `device_port` (one a client already dials) instead of a fresh one.
  KitedProcess(std::vector<std::string> extra, std::uint16_t device_port);
  ~KitedProcess();
  KitedProcess(const KitedProcess&) = delete;
  KitedProcess& operator=(const KitedProcess&) = delete;

  std::uint16_t device_port() const { return device_port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& dir() const { return dir_; }
  bool running() const { return pid_ > 0; }
  // Whether the child is still alive (not exited, not killed by a signal); reaps it if it died.
  bool alive();

  // SIGKILL and reap.
  void kill9();
  // SIGTERM and wait for the exit (killed after `timeout_ms`); returns the exit status.
  int terminate(int timeout_ms = 10'000);
  void signal(int signum);
  // Starts again on the same data directory, after kill9() or terminate(): on new ports, or on
  // the same ones (what devices that reconnect need).
  void restart(bool same_ports = false);

  // Resident set size of the child in bytes (/proc/PID/status VmRSS).
  std::size_t rss_bytes() const;
  // Everything the child wrote to stdout and stderr so far.
  std::string log() const;

 private:
  void spawn(bool same_ports);
  void spawn_once(bool same_ports);
  void wait_healthy();
  void reap(int* status);

  std::vector<std::string> extra_;
  std::filesystem::path dir_;
  std::filesystem::path log_path_;
  std::uint16_t device_port_ = 0;
  std::uint16_t fixed_device_port_ = 0;
  std::uint16_t admin_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace kite::it
