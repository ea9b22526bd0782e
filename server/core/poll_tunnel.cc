#include "core/poll_tunnel.h"

#include <unistd.h>

#include <array>
#include <memory>

namespace kite::server {
namespace {

using websocket::TunnelAnswer;

struct UplinkWrite {
  uv_write_t request{};
  std::string bytes;
  std::size_t* writing = nullptr;  // the tunnel's count of bytes being written
};

TunnelAnswer no_such_tunnel() {
  return {.status = 404,
          .detail = "no such tunnel: it has ended; open a new one",
          .retry_after_s = 0,
          .body = {}};
}

TunnelAnswer gone() {
  return {.status = 410,
          .detail = "the tunnel's session has ended: open a new tunnel and resume",
          .retry_after_s = 0,
          .body = {}};
}

}  // namespace

PollTunnel::PollTunnel(uv_loop_t* loop, websocket::TunnelName name, int fd,
                       std::function<void()> on_gone)
    : name_(name), on_gone_(std::move(on_gone)) {
  uv_pipe_init(loop, &pipe_, 0);
  uv_timer_init(loop, &timer_);
  pipe_.data = this;
  timer_.data = this;
  open_handles_ = 2;
  if (uv_pipe_open(&pipe_, fd) != 0) {
    ::close(fd);
    return;
  }
  started_ = true;
  read_while_room();
  wait_for(websocket::kPollIdleMs);  // a client that never polls is gone
}

void PollTunnel::poll(std::uint64_t from, std::uint32_t wait_ms, Reply reply) {
  const std::uint64_t held_to = held_from_ + held_.size();
  if (closing_) return reply(gone());
  if (from < held_from_ || from > held_to)
    return reply({.status = 409,
                  .detail = "poll from an offset between " + std::to_string(held_from_) + " and " +
                            std::to_string(held_to) + ": the bytes before are dropped",
                  .retry_after_s = 0,
                  .body = {}});
  held_.erase(0, from - held_from_);  // the client has them
  held_from_ = from;
  read_while_room();
  if (waiting_) answer_waiting({.status = 200, .detail = {}, .retry_after_s = 0, .body = {}});
  if (!held_.empty()) {
    reply({.status = 200, .detail = {}, .retry_after_s = 0, .body = held_});
    // Once the session ended, polls do not extend the tunnel's life: its end is fixed.
    if (!session_ended_) wait_for(websocket::kPollIdleMs);
    return;
  }
  if (session_ended_) {
    reply(gone());
    return close();
  }
  waiting_ = std::move(reply);
  wait_for(wait_ms);
}

TunnelAnswer PollTunnel::uplink(std::uint64_t offset, std::string_view bytes) {
  if (closing_ || session_ended_) return no_such_tunnel();
  if (writing_bytes_ > websocket::kPollMaxHeld)
    return {.status = 429,
            .detail = "the session is not reading its uplink yet: send these bytes again later",
            .retry_after_s = 1,
            .body = {}};
  const std::optional<std::size_t> known =
      websocket::take_uplink(uplink_bytes_, offset, bytes.size());
  if (!known) {
    close();  // a hole in the uplink: the session ends as if its connection dropped
    return {.status = 409,
            .detail = "bytes before this offset never came: the tunnel has ended; open a new one",
            .retry_after_s = 0,
            .body = {}};
  }
  if (*known == bytes.size()) return {};
  auto* write = new UplinkWrite{
      .request = {}, .bytes = std::string(bytes.substr(*known)), .writing = &writing_bytes_};
  writing_bytes_ += write->bytes.size();
  uv_buf_t buf = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  write->request.data = write;
  const int status = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&pipe_), &buf, 1,
                              [](uv_write_t* request, int) {
                                // Before the pipe's close callback (libuv's rule): the tunnel
                                // is still there.
                                auto* done = static_cast<UplinkWrite*>(request->data);
                                *done->writing -= done->bytes.size();
                                delete done;
                              });
  if (status != 0) {  // the bytes are counted as taken: the stream has a hole, so it ends
    writing_bytes_ -= write->bytes.size();
    delete write;
    close();
    return no_such_tunnel();
  }
  return {};
}

void PollTunnel::close() {
  if (closing_) return;
  closing_ = true;
  if (waiting_) answer_waiting(gone());
  for (auto* handle :
       {reinterpret_cast<uv_handle_t*>(&pipe_), reinterpret_cast<uv_handle_t*>(&timer_)})
    if (!uv_is_closing(handle)) uv_close(handle, on_closed);
}

// One read buffer per loop thread, as the worker's: a tunnel holds only the bytes it read.
void PollTunnel::on_alloc(uv_handle_t*, std::size_t, uv_buf_t* buf) {
  thread_local std::array<char, 64 * 1024> read_buffer;
  *buf = uv_buf_init(read_buffer.data(), static_cast<unsigned>(read_buffer.size()));
}

void PollTunnel::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  auto* self = static_cast<PollTunnel*>(stream->data);
  if (nread > 0) self->held_.append(buf->base, static_cast<std::size_t>(nread));
  if (nread < 0) {  // the session's connection closed: its last bytes are held
    self->session_ended_ = true;
    self->reading_ = false;
    uv_read_stop(stream);
    if (self->waiting_ && self->held_.empty()) {
      self->answer_waiting(gone());
      return self->close();
    }
    self->wait_for(websocket::kPollIdleMs);  // the tunnel's last 30 s, whatever polls come
    return;
  }
  if (nread > 0 && self->waiting_)
    self->answer_waiting({.status = 200, .detail = {}, .retry_after_s = 0, .body = self->held_});
  self->read_while_room();
}

void PollTunnel::on_timer(uv_timer_t* timer) {
  auto* self = static_cast<PollTunnel*>(timer->data);
  if (self->waiting_)  // nothing came while the poll waited: it is answered empty
    return self->answer_waiting({.status = 200, .detail = {}, .retry_after_s = 0, .body = {}});
  self->close();  // no poll for kPollIdleMs: the client is gone
}

void PollTunnel::on_closed(uv_handle_t* handle) {
  auto* self = static_cast<PollTunnel*>(handle->data);
  if (--self->open_handles_ != 0) return;
  auto gone = std::move(self->on_gone_);
  gone();  // frees the tunnel: nothing may follow
}

void PollTunnel::answer_waiting(TunnelAnswer answer) {
  Reply reply = std::move(waiting_);
  waiting_ = nullptr;
  reply(std::move(answer));
  if (!closing_ && !session_ended_) wait_for(websocket::kPollIdleMs);
}

void PollTunnel::wait_for(std::uint32_t ms) {
  if (!closing_) uv_timer_start(&timer_, on_timer, ms, 0);
}

void PollTunnel::read_while_room() {
  const bool room = held_.size() < websocket::kPollMaxHeld;
  if (session_ended_ || closing_ || room == reading_) return;
  reading_ = room;
  if (room)
    uv_read_start(reinterpret_cast<uv_stream_t*>(&pipe_), on_alloc, on_read);
  else
    uv_read_stop(reinterpret_cast<uv_stream_t*>(&pipe_));
}

}  // namespace kite::server
