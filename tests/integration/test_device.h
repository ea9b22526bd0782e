// A device client for the tests: a non-blocking loopback TCP socket driving a protocol::Session
// (Role::Client) with HMAC credentials derived from the tests' master key (or a token).
// Everything is polled with deadlines: wait_open(), next_message(), wait_closed() pump the
// socket and tick the session until their condition holds or the time is up. pump_devices()
// drives many devices from one poll() loop (the 1,000-device test).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "kite/protocol/session.h"
#include "kite/websocket/layer.h"

namespace kite::it {

using Millis = protocol::Millis;
using protocol::Reason;

Millis now_ms();  // steady clock, milliseconds

struct DeviceOptions {
  std::string id;
  std::uint16_t port = 0;
  std::string source_ip;  // bind the client socket to this 127.0.0.x address; empty = any
  protocol::AuthMethod method = protocol::AuthMethod::Hmac;
  std::optional<protocol::DeviceKey> key;  // default: derived from the tests' master key
  std::string token;                       // AuthMethod::Token
  std::uint32_t keepalive_ms = 30'000;
  std::uint32_t receive_window = 64;
  std::uint32_t max_frame = 0;  // announced in the hello; 0 = the SDK's default
  bool auto_ack = true;         // acknowledge each QoS 1 message as it arrives
  int rcvbuf = 0;               // SO_RCVBUF before connecting; 0 = the kernel's default
  // Commands are answered at once with status 0 and payload "<name>:<payload>"; false: never.
  bool reply_to_commands = true;
  // Over WebSocket (port is then a WebSocket listener's): the upgrade's path; empty = raw TCP.
  std::string websocket_path;
  std::string origin;  // the upgrade's Origin header, when not empty
};

struct Received {
  std::uint64_t seq = 0;
  protocol::Qos qos = protocol::Qos::AtLeastOnce;
  std::string payload;
  std::string topic;
  std::uint32_t ttl_ms = 0;  // what the server said is left of the message's life (0: none)
};

struct Closed {
  Reason reason = Reason::None;
  bool by_peer = false;
  std::uint32_t reconnect_after_ms = 0;
  std::string message;
};

class TestDevice final : public protocol::SessionHandler {
 public:
  explicit TestDevice(DeviceOptions options);
  ~TestDevice() override;
  TestDevice(const TestDevice&) = delete;
  TestDevice& operator=(const TestDevice&) = delete;

  // Opens the socket and sends the hello; `resume`: present what the last connection kept.
  void connect(bool resume = false);
  // Connects and waits for the session to open; throws (with the close reason) if it does not.
  void connect_and_open(int timeout_ms = 5'000, bool resume = false);
  bool wait_open(int timeout_ms);
  // The next message delivered (in arrival order), waiting up to `timeout_ms`.
  std::optional<Received> next_message(int timeout_ms);
  // Waits until `count` messages are waiting (or the time is up) and takes them all.
  std::vector<Received> take_messages(std::size_t count, int timeout_ms);
  void acknowledge(std::uint64_t seq);
  // Waits until the session has closed (for any reason).
  std::optional<Closed> wait_closed(int timeout_ms);
  // Waits until the server has closed the TCP stream (EOF or reset).
  bool wait_socket_closed(int timeout_ms);
  // A polite close (NormalClose told to the server), then the socket goes.
  void close();
  // An abrupt end: the socket is reset with nothing more sent (no acks, no goodbye).
  void drop();
  // Writes `bytes` as they are, after whatever the session has queued.
  void send_raw(std::span<const std::uint8_t> bytes);
  // A QoS 1 (or 0) uplink publish.
  protocol::SendStatus publish(const std::string& payload,
                               protocol::Qos qos = protocol::Qos::AtLeastOnce);
  // A publish addressed to another device (what a service connection sends).
  protocol::SendStatus publish_to(const std::string& target, const std::string& payload,
                                  protocol::Qos qos = protocol::Qos::AtLeastOnce,
                                  const std::string& conflation_key = {}, bool flush = true,
                                  const std::string& message_id = {});
  // Joins (or leaves) groups itself; the server's confirmation shows in group_confirmations().
  protocol::SendStatus subscribe(const std::vector<std::string>& groups, bool join = true);
  // Request ids the server confirmed (subscribe / unsubscribe echoes), in arrival order.
  const std::vector<std::uint64_t>& group_confirmations() const { return group_confirmations_; }
  // The groups the server says this device is in: the Welcome's, then the announcements that
  // follow it (request id kGroupAnnouncement); groups_total() is the Welcome's count of them all.
  const std::set<std::string>& groups() const { return groups_; }
  std::size_t groups_total() const { return groups_total_; }
  std::size_t welcome_groups() const { return welcome_groups_; }  // how many the Welcome listed
  // Silent: no more writes and no ticks (no pings, no acks) — a device that went quiet.
  void set_silent(bool silent) { silent_ = silent; }
  // Stops reading the socket (a slow consumer); the session then hears nothing more.
  void set_reading(bool reading) { reading_ = reading; }

  // Drives the socket and the session until `done()` or the deadline; true if done() held.
  bool pump_until(Millis deadline, const std::function<bool()>& done);

  // --- state ---------------------------------------------------------------------------------
  const std::string& id() const { return options_.id; }
  bool is_open() const { return session_ && session_->is_open(); }
  bool was_opened() const { return opened_; }
  bool resumed() const { return resumed_; }
  const std::optional<Closed>& closed() const { return closed_; }
  bool socket_closed() const { return fd_ < 0 || eof_; }
  std::deque<Received>& inbox() { return inbox_; }
  struct ErrorFrame {
    Reason reason;
    std::uint64_t ref;
  };
  // The commands received (name, payload), in arrival order.
  const std::vector<std::pair<std::string, std::string>>& commands() const { return commands_; }
  // Non-fatal error frames from the server (e.g. QueueFull for one publish), in arrival order.
  const std::vector<ErrorFrame>& errors() const { return errors_; }
  // Over WebSocket: why the layer ended ("the peer closed the WebSocket (code 4061)"...).
  std::string websocket_end() const {
    return websocket_ && websocket_->ended() ? std::string(websocket_->why()) : std::string();
  }
  std::uint64_t last_received_seq() const { return last_received_seq_; }
  std::uint64_t store_epoch() const { return store_epoch_; }
  // The highest uplink seq the server said it holds, in the welcome of the last open.
  std::uint64_t server_last_received() const { return server_last_received_; }
  std::size_t delivered_count() const { return delivered_; }
  // Highest uplink seq the server acknowledged on this connection.
  std::uint64_t uplink_acked_through() const { return session_ ? session_->acked_through() : 0; }
  DeviceOptions& options() { return options_; }

  // --- many devices in one poll loop ---------------------------------------------------------
  int fd() const { return fd_; }
  bool wants_read() const { return fd_ >= 0 && !eof_ && reading_; }
  bool wants_write() const { return fd_ >= 0 && !pending_.empty(); }
  void on_readable();
  void on_writable() override {}  // SessionHandler (credit), unused
  void service();                 // flushes output, ticks the session when due
  Millis next_wakeup() const;

 private:
  // protocol::SessionHandler
  void on_open(const protocol::OpenInfo& info) override;
  void on_message(const protocol::IncomingMessage& message) override;
  void on_close(const protocol::CloseInfo& info) override;
  void on_error(Reason reason, std::uint64_t ref, std::string_view message) override;
  void on_command(const protocol::CommandInfo& command) override;
  void on_subscribe(std::uint64_t request_id, bool join,
                    std::span<const std::string_view> groups) override;

  void flush_socket();
  void close_fd();

  bool upgrade();  // the WebSocket opening, blocking; false if refused or timed out
  void send_framed(std::vector<std::uint8_t>& bytes);  // through the WebSocket layer, if any

  DeviceOptions options_;
  std::unique_ptr<kite::websocket::WebSocketLayer> websocket_;  // null over raw TCP
  std::unique_ptr<protocol::Session> session_;
  int fd_ = -1;
  bool eof_ = false;
  bool silent_ = false;
  bool reading_ = true;
  bool opened_ = false;
  std::uint64_t server_last_received_ = 0;
  bool resumed_ = false;
  std::vector<std::uint8_t> pending_;  // bytes not yet taken by the socket
  std::vector<std::uint64_t> read_words_;
  std::deque<Received> inbox_;
  std::vector<ErrorFrame> errors_;
  std::vector<std::pair<std::string, std::string>> commands_;
  std::vector<std::uint64_t> group_confirmations_;
  std::set<std::string> groups_;
  std::size_t groups_total_ = 0, welcome_groups_ = 0;
  std::uint64_t next_request_id_ = 1;
  std::optional<Closed> closed_;
  std::vector<std::uint8_t> resume_token_;
  std::uint64_t store_epoch_ = 0;
  std::uint64_t last_received_seq_ = 0;  // highest QoS 1 seq delivered to the "app"
  std::size_t delivered_ = 0;
};

// Drives every device from one poll() loop until `done()` or `timeout_ms`; true if done() held.
bool pump_devices(std::span<TestDevice* const> devices, int timeout_ms,
                  const std::function<bool()>& done);

}  // namespace kite::it
