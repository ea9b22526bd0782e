// A TCP relay between devices and kited that makes the network bad on purpose, in user space
// (the kernel here has no netem): added delay and jitter, a bandwidth cap, connections reset,
// a connection cut in the middle of a frame, and half-open connections. Each accepted connection
// gets its own connection to the target; bytes go through in order, each direction on its own
// schedule.
//
// One thread with poll(), non-blocking sockets. The settings apply from the next byte read; an
// action (reset_all, cut_down_after, close_one_side) returns once the relay has applied it to
// every connection it holds. An error on either side of a connection resets both, as a router
// that drops a flow would. The destructor closes everything and joins the thread.
#pragma once

#include <netinet/in.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace kite::it {

class FaultProxy {
 public:
  // The shape of one direction of the link.
  struct Link {
    int delay_ms = 0;               // added to every byte's trip
    int jitter_ms = 0;              // plus uniform(0, jitter) more, order kept
    std::uint64_t bytes_per_s = 0;  // a cap (token bucket, 4 KiB burst); 0: none
    double reset_per_s = 0;         // chance a connection is reset in a second (both ways)
  };

  // Listens on `address`:0 (a free port) and relays each connection to `target`:`target_port`.
  FaultProxy(const std::string& address, const std::string& target, std::uint16_t target_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }

  // Device to kited (`up`) and kited to device (`down`).
  void set_links(Link up, Link down);
  // Resets every connection now: an RST to both ends (SO_LINGER 0).
  void reset_all();
  // Cuts every connection after `bytes` more bytes towards the device: the device sees the
  // start of a frame, then an RST, and kited sees an RST too.
  void cut_down_after(std::uint64_t bytes);
  // Half-open: kited's side is closed (kited sees the connection end) while the device's is
  // kept open and silent, as after a NAT forgot the flow; or the other way round.
  enum class Side : std::uint8_t { Device, Kited };
  void close_one_side(Side closed);

  struct Stats {
    std::uint64_t accepted = 0, resets = 0, bytes_up = 0, bytes_down = 0;
  };
  Stats stats() const;

 private:
  struct Direction {
    std::deque<std::string> chunks;  // read from one side, in order
    std::deque<std::int64_t> due;    // when each chunk may go; never before the one ahead
    std::size_t queued = 0;          // bytes in chunks
    std::size_t offset = 0;          // into chunks.front(), written so far
    double tokens = 0;               // the cap's bucket (full without a cap)
    std::int64_t last_fill_ms = 0;
    std::int64_t last_due_ms = 0;
    std::uint64_t cut_after = UINT64_MAX;  // towards the device: bytes until the cut
    bool ended = false;     // its sender closed (FIN): passed on once the chunks are written
    bool fin_sent = false;  // and so it was
  };
  struct Pair {
    int device = -1, kited = -1;  // -1 once closed
    Direction up, down;           // device -> kited, kited -> device
    bool silent = false;          // half-open: the surviving side hears nothing more
  };

  struct Caps {
    std::uint64_t up = 0, down = 0;  // bytes a second; 0: none
  };

  void request(const std::function<void()>& record);
  void run();
  void accept_new();
  void read_side(Pair& pair, bool from_device);
  void write_side(Pair& pair, bool to_device, std::int64_t now, std::uint64_t cap);
  void pass_fin_on(Pair& pair, bool to_device);
  Caps apply_actions(std::int64_t now);
  void reset(Pair& pair);
  static void refill(Direction& direction, std::int64_t now, std::uint64_t cap);
  static std::size_t write_quantum(const Direction& direction);
  static bool writable_now(const Direction& direction, std::int64_t now, std::uint64_t cap);
  static std::int64_t next_wake(const Direction& direction, std::int64_t now, std::uint64_t cap);

  const sockaddr_in target_;  // kited's device listener
  int listener_ = -1;
  std::uint16_t port_ = 0;
  mutable std::mutex mutex_;  // guards the settings and requests below, and stats_
  Link up_{}, down_{};
  bool reset_requested_ = false;
  std::uint64_t cut_request_ = UINT64_MAX;
  int close_request_ = -1;                     // a Side, or -1
  std::uint64_t requested_ = 0, applied_ = 0;  // actions asked for, and seen by the relay
  std::condition_variable applied_changed_;
  Stats stats_{};
  std::vector<std::unique_ptr<Pair>> pairs_;  // relay thread only
  std::mt19937_64 random_{0x6b697465};
  std::int64_t last_turn_ms_ = 0;  // of apply_actions(), for the random resets
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace kite::it
