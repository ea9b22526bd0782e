// The HTTP fallback's tunnel on kited's connections (websocket/tunnel.h): a POST's uplink bytes
// travel from the connection that read them to the worker holding the tunnel's stream, into its
// session, and the answer travels back. Both hops are worker tasks, so each connection is touched
// only on its own loop, and a connection gone meanwhile is found by neither.
#include <algorithm>

#include "core/connection.h"
#include "core/worker.h"
#include "websocket/sse_layer.h"
#include "websocket/tunnel_post.h"

namespace kite::server {

void Connection::route_tunnel_uplink(websocket::TunnelUplink uplink) {
  auto& workers = worker_.context().workers;
  const std::uint64_t owner = uplink.tunnel.connection >> 56;  // worker index + 1 (worker.h)
  Worker* target = owner >= 1 && owner <= workers.size() ? workers[owner - 1] : &worker_;
  target->post([uplink = std::move(uplink), reply_to = &worker_, post = id_](Worker& worker) {
    websocket::TunnelAnswer answer{.status = 404,
                                   .detail = "no such tunnel: it has ended; open a new one",
                                   .retry_after_s = 0};
    if (Connection* tunnel = worker.find(uplink.tunnel.connection))
      answer = tunnel->tunnel_uplink(uplink);
    reply_to->post([answer = std::move(answer), post](Worker& home) {
      if (Connection* connection = home.find(post)) connection->answer_tunnel_post(answer);
    });
  });
}

websocket::TunnelAnswer Connection::tunnel_uplink(const websocket::TunnelUplink& uplink) {
  auto* stream = dynamic_cast<websocket::SseLayer*>(wire_.layer());
  if (!stream || !stream->named(uplink.tunnel) || lifecycle_.closing())
    return {.status = 404, .detail = "no such tunnel: it has ended; open a new one"};
  if (reading_paused_) {
    const auto wait_ms = std::max<std::int64_t>(resume_reading_at_ - now(), 1);
    return {.status = 429,
            .detail = "the uplink is over its rate: send these bytes again later",
            .retry_after_s = static_cast<std::uint32_t>((wait_ms + 999) / 1000)};
  }
  std::optional<std::size_t> known = stream->accept_uplink(uplink.offset, uplink.body.size());
  if (!known) {
    const std::uint64_t reached = stream->uplink_bytes();
    session_.close(protocol::Reason::TruncatedFrame, "uplink bytes missing from the tunnel");
    after_session_call();
    return {.status = 409,
            .detail = "bytes before this offset never came (the tunnel had " +
                      std::to_string(reached) + "): the tunnel has ended; open a new one"};
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

void Connection::answer_tunnel_post(const websocket::TunnelAnswer& answer) {
  auto* post = dynamic_cast<websocket::TunnelPostLayer*>(wire_.layer());
  if (!post || lifecycle_.closing()) return;
  post->answer(answer);
  after_arrival(kite::tls::WirePipe::Arrival::LayerEnded);
}

}  // namespace kite::server
