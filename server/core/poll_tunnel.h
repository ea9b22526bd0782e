// PollTunnel: the polled variant of the HTTP fallback's tunnel (websocket/tunnel.h), for networks
// whose proxies hold a response back until it is complete, so that an event stream never
// arrives. Its session must outlive every request, so the tunnel gives it a connection of its
// own: one end of a socketpair is a Connection like any other (its session, flow control,
// deadlines, caps), the other end is this object, which keeps the session's bytes until a poll
// takes them and writes POSTed bytes in. One more hop than a stream, only on this fallback.
//
// Rules it keeps:
//  - the downlink is one byte stream with offsets: a poll from n answers everything held from n
//    on (at once if there is some, else when some comes, or empty after its wait) and drops
//    what lies before n, which the client has: the same poll sent again gets the same bytes;
//  - one poll waits at a time: a newer one answers the older at once, empty;
//  - it holds at most kPollMaxHeld bytes for the client: beyond, it stops reading its end, and
//    the session's own flow control holds the rest;
//  - the uplink is taken once, in order, as a streamed tunnel's (websocket::take_uplink);
//  - no poll for kPollIdleMs: the client is gone; its end closes and the session ends as if its
//    connection dropped (the client resumes on a new tunnel). Once the session ended, the tunnel
//    stays until its last bytes are taken (then 410), and kPollIdleMs at most: polls no longer
//    extend it, so a client cannot keep it (and its socket) once its session is gone.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "websocket/tunnel.h"

namespace kite::server {

class PollTunnel {
 public:
  using Reply = std::function<void(websocket::TunnelAnswer)>;

  // `fd`: its end of the socketpair. `on_gone` runs once its handles are closed: the owner frees
  // it then. Check started() before use.
  PollTunnel(uv_loop_t* loop, websocket::TunnelName name, int fd, std::function<void()> on_gone);
  PollTunnel(const PollTunnel&) = delete;
  PollTunnel& operator=(const PollTunnel&) = delete;

  bool started() const { return started_; }
  bool named(const websocket::TunnelName& name) const { return name.secret == name_.secret; }
  // A poll for the downlink from `from` on: `reply` runs now or later (within `wait_ms`), on
  // this loop, once.
  void poll(std::uint64_t from, std::uint32_t wait_ms, Reply reply);
  // A POST's bytes at `offset`: 204, or why not.
  websocket::TunnelAnswer uplink(std::uint64_t offset, std::string_view bytes);
  // Ends the tunnel (the client is gone, kited stops): a waiting poll gets 410.
  void close();

 private:
  static void on_alloc(uv_handle_t* handle, std::size_t suggested, uv_buf_t* buf);
  static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf);
  static void on_timer(uv_timer_t* timer);
  static void on_closed(uv_handle_t* handle);
  void answer_waiting(websocket::TunnelAnswer answer);
  void wait_for(std::uint32_t ms);
  void read_while_room();

  uv_pipe_t pipe_{};
  uv_timer_t timer_{};
  int open_handles_ = 0;
  bool started_ = false;
  websocket::TunnelName name_;
  std::function<void()> on_gone_;
  std::string held_;             // downlink bytes from held_from_ on, not yet dropped
  std::uint64_t held_from_ = 0;  // the offset of held_[0]
  std::uint64_t uplink_bytes_ = 0;
  std::size_t writing_bytes_ = 0;  // uplink bytes handed to the socketpair, not yet written
  Reply waiting_;                  // the poll waiting for bytes, if any
  bool reading_ = false;
  bool session_ended_ = false;
  bool closing_ = false;
};

}  // namespace kite::server
