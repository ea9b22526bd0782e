// The device SDK without I/O: everything kite::Client does except touching a socket, a clock, a
// thread or libuv. It decides when to connect and where, turns the bytes read into the app's
// messages and the app's calls into bytes to write, keeps the session across connections (and,
// with a session file, across restarts), and says when the connection must close and when it
// wants to be called again. Two drivers move its bytes: Client::Impl on libuv (client_impl.h),
// and kite::LowLevelClient (kite/low_level_client.h), which the application drives from its own
// loop.
//
// One connection at a time: dial (take_dial), connected() or connect_failed(), then received()
// and take_output() until take_close() says it is over; then, after a back-off, the next dial.
// With TLS the connection carries a TlsChannel between the socket and the session (the session
// starts once the TLS handshake is done), made from one TlsContext that keeps the session
// ticket for the next connection; through a proxy, the CONNECT exchange comes first.
//
// Calls and callbacks. Not thread-safe: the driver serialises the calls. App callbacks for
// messages and commands run inside received(); completions and state changes run from settle(),
// after the core's own state is consistent, so any call is safe from any callback. The app's
// calls (publish, stop...) only change plain state; settle() acts on them.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backoff.h"
#include "endpoint.h"
#include "kite/client.h"
#include "kite/protocol/session.h"
#include "kite/tls/context.h"
#include "kite/tls/wire_pipe.h"
#include "kite/websocket/response_head.h"
#include "session_file.h"
#include "uplink_queue.h"

namespace kite::sdk {

inline constexpr Millis kNever = -1;  // no deadline

// Where the next connection goes: kited, or the HTTP proxy in front of it.
struct DialTarget {
  std::string host;  // a name or an address: resolving it is the driver's
  std::uint16_t port = 0;
};

// One connection of the core: dialled, then (tcp_up) carrying the wire pipe. (At namespace
// scope: a nested class's default member initialisers are not usable inside its enclosing class
// until that class is complete, and optional::emplace() needs them.)
struct CoreConnection {
  bool tcp_up = false;
  tls::WirePipe wire;
  // Through an HTTP proxy: its answer to CONNECT, until it came (then the wire is opened).
  std::unique_ptr<websocket::ResponseHead> proxy_answer;
  tls::TlsChannel* tls() { return wire.channel(); }
};

class ClientCore final : public protocol::SessionHandler, public tls::WireHost {
 public:
  explicit ClientCore(ClientOptions options);
  ~ClientCore() override;
  ClientCore(const ClientCore&) = delete;
  ClientCore& operator=(const ClientCore&) = delete;

  // --- the app's calls (kite/client.h) -----------------------------------------------------
  void set_message_handler(std::function<void(const Message&)> handler);
  void set_command_handler(std::function<Reply(const Command&)> handler);
  void set_state_handler(std::function<void(const StateChange&)> handler);
  void detach_handlers();  // the app is gone: no callback from now on
  Error start(Millis now);
  const std::string& start_error() const { return start_error_; }
  void stop();
  Error publish(const Publish& message, Completion done);
  Error subscribe(bool join, std::string_view group, Completion done);
  State state() const { return state_; }
  std::size_t queued() const { return queue_.size(); }
  bool started() const { return started_; }

  // --- the driver's calls ----------------------------------------------------------------------
  // The time, for the app's calls between the driver's (a publish's time-to-live counts from it).
  void advance(Millis now) { now_ = std::max(now_, now); }
  // Runs what is due: ends a finished connection, sends what the queue holds, then calls the app
  // back until nothing is left to do. After every other call here, and after the app's.
  void settle(Millis now);
  // A connection is wanted: open a TCP connection to it, then connected() or connect_failed().
  std::optional<DialTarget> take_dial();
  void connected(Millis now);
  // No connection: reason "ResolveFailed" or "ConnectFailed", detail the system's words.
  void connect_failed(std::string reason, std::string detail, Millis now);
  // Bytes the socket read. Overwritten: with TLS the plaintext is decrypted in their place.
  void received(std::span<std::uint8_t> bytes, Millis now);
  void peer_closed(Millis now);                         // EOF
  void transport_failed(std::string what, Millis now);  // a socket error
  // The bytes to write, in order, appended to `out`; none while a session-file write is due.
  void take_output(std::vector<std::uint8_t>& out);
  // Bytes taken from take_output() that the socket has not taken yet: above 64 KiB the uplink
  // queue waits.
  void set_unwritten(std::size_t bytes) { unwritten_ = bytes; }
  // The current connection (or dial) is over: write what take_output() gave first, then close
  // it (graceful: shut the sending side down after those bytes; else at once). Once each.
  bool take_close(bool& graceful);
  // When tick() is next needed (kNever: not until something else happens).
  Millis next_deadline() const;
  void tick(Millis now);
  // Stopped for good: nothing more will be asked of the driver.
  bool finished() const { return stopped_; }
  // The heap the connection holds, for the SDK's footprint figures.
  const protocol::Session* session() const { return session_.get(); }

 private:
  struct GroupRequest {
    std::uint64_t id;
    bool join;
    std::string group;
    Completion done;
    bool sent = false;
  };
  // How the current connection ended (set by the session or by a socket error).
  struct Ending {
    std::string reason;
    std::string detail;
    protocol::Reason code = protocol::Reason::None;  // None: a local cause (socket, timeout)
    std::uint32_t reconnect_after_ms = 0;
    bool send_alert = false;  // a TLS failure: its alert goes out before the close
  };
  struct Notice {
    State state = State::Stopped;
    std::string reason{};
    std::string detail{};
    bool resumed = false;
    std::uint32_t retry_in_ms = 0;
    bool tls_resumed = false;
    std::uint16_t dictionary = 0;
  };
  // protocol::SessionHandler
  void on_open(const protocol::OpenInfo& info) override;
  void on_message(const protocol::IncomingMessage& message) override;
  void on_acked(std::uint64_t seq) override;
  void on_command(const protocol::CommandInfo& command) override;
  void on_subscribe(std::uint64_t request_id, bool join,
                    std::span<const std::string_view> groups) override;
  void on_error(protocol::Reason reason, std::uint64_t ref, std::string_view message) override;
  void on_close(const protocol::CloseInfo& info) override;
  // tls::WireHost: the session of this connection, started once TLS and WebSocket are up.
  protocol::Session* wire_session() override { return session_.get(); }
  void on_wire_ready() override;

  // The connection (client_core_connection.cc)
  void begin_attempt();
  void open_wire();  // TLS and WebSocket (as configured) on a connected socket
  void on_proxy_answer(std::span<const std::uint8_t> bytes);
  void start_session();
  protocol::ResumeRequest resume_request() const;
  // What a read that ended the transport means: TlsFailed, or close_notify as an EOF.
  void after_arrival(tls::WirePipe::Arrival arrival);
  Ending transport_ended(std::string what) const;
  void flush();
  void pump();
  void end_connection();
  void close_connection(bool graceful);
  void finish_stop(std::string reason, std::string detail);
  void fail_groups(Error error, std::string_view why);
  void fail_attempt(std::string reason, std::string detail);
  void notify(Notice notice);
  void call_back();  // completions and notices, in order

  // The session file (client_core_session_file.cc): read at start, written when the state
  // changed and the budget allows. Outgoing bytes are held while a change waits: kited must
  // never hold an ack or an uplink seq that the file does not, or a crash would lose or repeat
  // messages.
  std::string session_file_problem() const;
  std::string restore_session();
  bool session_unsaved() const;
  bool save_session(bool force);  // false: unsaved changes remain (held output)
  bool save_before_stop();        // true: the file holds the queue (there is one, written)

  ClientOptions options_;
  protocol::ClientCredentials credentials_;
  std::shared_ptr<const tls::TlsContext> tls_context_;  // null: plain TCP
  Endpoint endpoint_;  // where connections go (host, TLS, WebSocket, proxy)
  std::string start_error_;
  Millis now_ = 0;

  std::function<void(const Message&)> message_handler_;
  std::function<Reply(const Command&)> command_handler_;
  std::function<void(const StateChange&)> state_handler_;

  std::optional<protocol::SessionContext> context_;  // made by start(), with the dictionaries
  std::unique_ptr<protocol::Session> session_;
  std::optional<CoreConnection> connection_;
  bool dial_wanted_ = false;
  bool close_wanted_ = false;
  bool close_graceful_ = false;
  std::vector<std::uint8_t> output_;  // for the driver to take
  std::size_t unwritten_ = 0;
  std::optional<Ending> ending_;

  State state_ = State::Stopped;
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  bool settling_ = false;

  Backoff backoff_;
  Millis reconnect_at_ = kNever;
  Millis connect_deadline_ = kNever;
  Millis opened_at_ = kNever;

  // Carried from one connection to the next.
  std::vector<std::uint8_t> resume_token_;
  std::uint64_t store_epoch_ = 0;
  std::uint64_t last_received_seq_ = 0;  // highest downlink seq the app has processed
  std::uint64_t next_uplink_seq_ = 1;

  std::optional<SessionFile> session_file_;
  std::uint64_t session_changes_ = 0;  // with queue_.changes(): what a session file would see
  std::uint64_t saved_changes_ = 0;    // the sum when the file was last written
  UplinkQueue queue_;
  std::deque<GroupRequest> groups_;
  std::uint64_t next_request_id_;
  std::vector<Finished> finished_;
  std::vector<Notice> notices_;
};

}  // namespace kite::sdk
