// What kite::Client is made of: one TCP connection at a time driving a client-role protocol
// Session, a timer for every deadline (reconnect, connect, the session's pings and acks), the
// uplink queue, pending group requests, and the resume state carried from one connection to
// the next. With TLS, each connection has a TlsChannel between the socket and the session (the
// session starts when the TLS handshake is done), all made from one TlsContext, which keeps the
// session ticket for the next connection.
//
// Concurrency. One recursive mutex guards everything. Public calls only change plain state
// (push to a queue, set a flag); every libuv call happens in settle(), which runs on the loop
// thread when the outermost entry point (a libuv callback, or a public call made on the loop
// thread) returns. A public call from another thread wakes the loop instead (uv_async).
// App callbacks for messages and commands run inside Session::receive(); completions and state
// changes are delivered from settle(), after the client's own state is consistent, so any call
// is safe from any callback.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backoff.h"
#include "endpoint.h"
#include "kite/client.h"
#include "kite/protocol/session.h"
#include "kite/tls/context.h"
#include "kite/tls/wire_pipe.h"
#include "session_file.h"
#include "uplink_queue.h"

namespace kite {

class Client::Impl final : public protocol::SessionHandler,
                           public tls::WireHost,
                           public std::enable_shared_from_this<Impl> {
 public:
  Impl(ClientOptions options, uv_loop_t* loop);
  ~Impl() override;

  // Public API (see client.h).
  void set_message_handler(std::function<void(const Message&)> handler);
  void set_command_handler(std::function<Reply(const Command&)> handler);
  void set_state_handler(std::function<void(const StateChange&)> handler);
  Error start();
  std::string start_error() const;
  void stop();
  Error publish(const Publish& message, Completion done);
  Error subscribe(bool join, std::string_view group, Completion done);
  State state() const;
  std::size_t queued() const;
  // The owner is gone: no app callback fires from now on; thread mode joins its thread.
  void detach();

 private:
  struct Link;
  struct WriteRequest;
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
  // Holds the mutex for an entry point; the outermost one settles (or wakes the loop).
  class Scope {
   public:
    explicit Scope(Impl& impl);
    ~Scope();

   private:
    Impl& impl_;
    std::unique_lock<std::recursive_mutex> lock_;
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

  // libuv callbacks
  static void on_resolved(uv_getaddrinfo_t* request, int status, addrinfo* result);
  static void on_connected(uv_connect_t* request, int status);
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_written(uv_write_t* request, int status);
  static void on_shutdown(uv_shutdown_t* request, int status);
  static void on_link_closed(uv_handle_t* handle);
  static void on_timer(uv_timer_t* timer);
  static void on_wake(uv_async_t* async);
  static void on_handle_closed(uv_handle_t* handle);

  void settle();
  void begin_attempt();
  void connect_next();  // the next resolved address, or the attempt failed
  void connect_to(const sockaddr* address);
  void start_session();
  void open_wire(Link& link);  // TLS and WebSocket (as configured) on a connected socket
  void on_proxy_answer(Link& link, std::span<const std::uint8_t> bytes);
  // tls::WireHost: the session of this connection, started once TLS and WebSocket are up.
  protocol::Session* wire_session() override { return session_.get(); }
  void on_wire_ready() override;
  // What a read that ended the transport means: TlsFailed, or close_notify as an EOF.
  void after_arrival(tls::WirePipe::Arrival arrival);
  Ending transport_ended(std::string what) const;
  void take_wire_output(std::vector<std::uint8_t>& out);
  void flush();
  void end_connection();
  void close_link(bool graceful);
  void finish_stop(std::string reason, std::string detail);
  void close_handles();
  void rearm_timer();
  void pump();
  void notify(Notice notice);
  void fail_groups(Error error, std::string_view why);
  void fail_attempt(std::string reason, std::string detail);
  protocol::ResumeRequest resume_request() const;
  // The session file (session_file.h): read at start, written when the state changed and the
  // budget allows. Outgoing bytes are held while a change waits: kited must never hold an ack
  // or an uplink seq that the file does not, or a crash would lose or repeat messages.
  std::string restore_session();
  bool session_unsaved() const;
  bool save_session(bool force);  // false: unsaved changes remain (held output)
  void save_before_stop();
  bool on_loop_thread() const;
  void release_handle();
  static constexpr protocol::Millis kNever = -1;  // no deadline
  static protocol::Millis now();

  ClientOptions options_;
  protocol::ClientCredentials credentials_;
  std::shared_ptr<const tls::TlsContext> tls_context_;  // null: plain TCP
  sdk::Endpoint endpoint_;  // where connections go (host, TLS, WebSocket, proxy)
  std::string start_error_;
  std::unique_ptr<uv_loop_t> own_loop_;  // thread mode
  uv_loop_t* loop_;
  std::thread thread_;
  std::thread::id loop_thread_;
  mutable std::recursive_mutex mutex_;
  uv_timer_t timer_{};
  uv_async_t wake_{};
  int open_handles_ = 0;
  bool handles_closed_ = false;
  std::shared_ptr<Impl> self_;  // keeps this alive until libuv is done with its handles

  std::function<void(const Message&)> message_handler_;
  std::function<Reply(const Command&)> command_handler_;
  std::function<void(const StateChange&)> state_handler_;

  std::optional<protocol::SessionContext> context_;  // made by start(), with the dictionaries
  std::unique_ptr<protocol::Session> session_;
  Link* link_ = nullptr;
  std::vector<sockaddr_storage> addresses_;  // of the current attempt
  std::size_t next_address_ = 0;
  std::string last_connect_error_;
  bool resolving_ = false;
  std::optional<Ending> ending_;

  State state_ = State::Stopped;
  bool started_ = false;
  bool stopping_ = false;
  bool stopped_ = false;
  int depth_ = 0;
  bool settling_ = false;

  sdk::Backoff backoff_;
  protocol::Millis reconnect_at_ = -1;
  protocol::Millis connect_deadline_ = -1;
  protocol::Millis opened_at_ = -1;

  // Carried from one connection to the next.
  std::vector<std::uint8_t> resume_token_;
  std::uint64_t store_epoch_ = 0;
  std::uint64_t last_received_seq_ = 0;  // highest downlink seq the app has processed
  std::uint64_t next_uplink_seq_ = 1;

  std::optional<sdk::SessionFile> session_file_;
  std::uint64_t session_changes_ = 0;  // with queue_.changes(): what a session file would see
  std::uint64_t saved_changes_ = 0;    // the sum when the file was last written
  sdk::UplinkQueue queue_;
  std::deque<GroupRequest> groups_;
  std::uint64_t next_request_id_;
  std::vector<sdk::Finished> finished_;
  std::vector<Notice> notices_;
};

}  // namespace kite
