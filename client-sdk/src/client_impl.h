// kite::Client on libuv: the sans-IO ClientCore (client_core.h) and the I/O it asks for, one TCP
// connection at a time (resolve, connect, read, write, shut down), one timer for every deadline
// the core names, and in thread mode the thread that runs the loop.
//
// Concurrency. One recursive mutex guards the core. Public calls only change the core's plain
// state (push to a queue, set a flag); the core settles, and every libuv call happens, in
// drive(), which runs on the loop thread when the outermost entry point (a libuv callback, or a
// public call made on the loop thread) returns. A public call from another thread wakes the
// loop instead (uv_async), so callbacks always run on the loop's thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "client_core.h"
#include "kite/client.h"

namespace kite {

class Client::Impl final : public std::enable_shared_from_this<Impl> {
 public:
  Impl(ClientOptions options, uv_loop_t* loop);
  ~Impl();

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
  struct Resolve;
  // Holds the mutex for an entry point; the outermost one settles (or wakes the loop).
  class Scope {
   public:
    explicit Scope(Impl& impl);
    ~Scope();

   private:
    Impl& impl_;
    std::unique_lock<std::recursive_mutex> lock_;
  };

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

  // Settles the core and does what it asks, until it asks nothing more.
  void drive();
  bool do_what_core_asks();  // true: the core was told something, settle it again
  void dial(const sdk::DialTarget& target);
  void connect_next();  // the next resolved address, or the dial failed
  void connect_to(const sockaddr* address);
  void write(std::vector<std::uint8_t> bytes);
  void close_link(bool graceful);
  void close_handles();
  void rearm_timer();
  bool on_loop_thread() const;
  void release_handle();
  static sdk::Millis now();

  sdk::ClientCore core_;
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
  int depth_ = 0;
  bool driving_ = false;
  bool told_core_ = false;  // an I/O result reached the core while driving

  Link* link_ = nullptr;
  std::uint64_t dial_ = 0;        // the dial in progress: a resolve for an older one is dropped
  Resolve* resolving_ = nullptr;  // a name being resolved, cancelled if its attempt ends first
  std::vector<sockaddr_storage> addresses_;  // of the current dial
  std::size_t next_address_ = 0;
  std::string last_connect_error_;
};

}  // namespace kite
