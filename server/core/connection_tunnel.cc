// The HTTP fallback's tunnels on kited's connections (websocket/tunnel.h). A POST's uplink or a
// poll travels from the connection that read it to the worker holding the tunnel (a streamed
// tunnel's connection, or a polled tunnel: poll_tunnel.h), and the answer travels back. Both
// hops are worker tasks, so each connection is touched only on its own loop, and one gone
// meanwhile is found by neither.
#include <unistd.h>

#include <algorithm>

#include "core/connection.h"
#include "core/worker.h"
#include "websocket/sse_layer.h"
#include "websocket/tunnel_reply.h"

namespace kite::server {
namespace {

websocket::TunnelAnswer no_such_tunnel() {
  return {.status = 404,
          .detail = "no such tunnel: it has ended; open a new one",
          .retry_after_s = 0,
          .body = {}};
}

// The worker holding the tunnel whose session connection is `tunnel` (its id names the worker);
// a name no worker has is looked for here, and found nowhere.
Worker& tunnel_worker(Worker& here, std::uint64_t tunnel) {
  auto& workers = here.context().workers;
  const std::uint64_t owner = tunnel >> 56;  // worker index + 1 (worker.h)
  return owner >= 1 && owner <= workers.size() ? *workers[owner - 1] : here;
}

// How the tunnel's worker answers the connection `asker` on `home`: a task posted back there.
std::function<void(websocket::TunnelAnswer)> reply_to(Worker& home, std::uint64_t asker) {
  return [home = &home, asker](websocket::TunnelAnswer answer) {
    home->post([answer = std::move(answer), asker](Worker& self) {
      if (Connection* connection = self.find(asker)) connection->answer_tunnel_request(answer);
    });
  };
}

}  // namespace

bool Connection::start_tunnel(int fd, const PeerIp& ip) {
  uv_tcp_init(worker_.loop(), &tcp_);
  if (uv_tcp_open(&tcp_, fd) != 0) {  // a socketpair end: a stream libuv reads like a socket
    ::close(fd);
    close_socket();
    return false;
  }
  ip_ = ip;
  worker_.metrics().connections_accepted.add();
  if (!admit_peer()) return false;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&tcp_), on_alloc, on_read);
  after_session_call();
  return true;
}

void Connection::route_uplink(websocket::TunnelUplink uplink) {
  Worker& target = tunnel_worker(worker_, uplink.tunnel.connection);
  target.post([uplink = std::move(uplink), reply = reply_to(worker_, id_)](Worker& worker) {
    if (uplink.kind == websocket::TunnelKind::Poll) {
      PollTunnel* tunnel = worker.poll_tunnel(uplink.tunnel.connection);
      if (!tunnel || !tunnel->named(uplink.tunnel)) return reply(no_such_tunnel());
      return reply(tunnel->uplink(uplink.offset, uplink.body));
    }
    Connection* tunnel = worker.find(uplink.tunnel.connection);
    reply(tunnel ? tunnel->tunnel_uplink(uplink) : no_such_tunnel());
  });
}

std::optional<websocket::TunnelName> Connection::open_poll_tunnel() {
  return worker_.open_poll_tunnel(ip_);
}

// The poll's own connection is still an unauthenticated one, closed at its handshake deadline
// (auth.handshake_timeout_ms from accept): an empty answer must leave well before what is left
// of it.
void Connection::route_poll(websocket::TunnelName name, std::uint64_t from) {
  const protocol::Millis left = std::max<protocol::Millis>(session_.next_deadline() - now(), 0);
  const auto wait_ms = static_cast<std::uint32_t>(
      std::clamp<protocol::Millis>(left / 4 * 3, 100, websocket::kPollWaitMs));
  Worker& target = tunnel_worker(worker_, name.connection);
  target.post([name, from, wait_ms, reply = reply_to(worker_, id_)](Worker& worker) {
    PollTunnel* tunnel = worker.poll_tunnel(name.connection);
    if (!tunnel || !tunnel->named(name)) return reply(no_such_tunnel());
    tunnel->poll(from, wait_ms, reply);  // now, or once bytes come or the wait is over
  });
}

websocket::TunnelAnswer Connection::tunnel_uplink(const websocket::TunnelUplink& uplink) {
  auto* stream = dynamic_cast<websocket::SseLayer*>(wire_.layer());
  if (!stream || !stream->named(uplink.tunnel) || lifecycle_.closing()) return no_such_tunnel();
  // Over a socket, reading stops for either reason of the flow control (connection.h); here the
  // bytes come on other connections, so they are refused instead.
  if (reading_paused_) {
    const auto wait_ms = std::max<std::int64_t>(resume_reading_at_ - now(), 1);
    return {.status = 429,
            .detail = "the uplink is over its rate: send these bytes again later",
            .retry_after_s = static_cast<std::uint32_t>((wait_ms + 999) / 1000),
            .body = {}};
  }
  if (reading_blocked_)
    return {.status = 429,
            .detail = "the event stream is not being read: read it, then send these bytes again",
            .retry_after_s = 1,
            .body = {}};
  std::optional<std::size_t> known = stream->accept_uplink(uplink.offset, uplink.body.size());
  if (!known) {
    const std::uint64_t reached = stream->uplink_bytes();
    session_.close(protocol::Reason::TruncatedFrame, "uplink bytes missing from the tunnel");
    after_session_call();
    return {.status = 409,
            .detail = "bytes before this offset never came (the tunnel had " +
                      std::to_string(reached) + "): the tunnel has ended; open a new one",
            .retry_after_s = 0,
            .body = {}};
  }
  const auto fresh =
      std::span(reinterpret_cast<const std::uint8_t*>(uplink.body.data()), uplink.body.size())
          .subspan(*known);
  if (fresh.empty()) return {};
  worker_.metrics().bytes_in.add(fresh.size());
  on_plaintext_in(fresh);
  session_.receive(fresh, now());
  if (role_) role_->after_read();
  if (!lifecycle_.closing()) after_session_call();
  return {};
}

void Connection::answer_tunnel_request(const websocket::TunnelAnswer& answer) {
  auto* reply = dynamic_cast<websocket::TunnelReplyLayer*>(wire_.layer());
  if (!reply || lifecycle_.closing()) return;
  reply->answer(answer);
  after_arrival(kite::tls::WirePipe::Arrival::LayerEnded);
}

}  // namespace kite::server
