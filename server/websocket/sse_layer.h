// SseLayer: the downlink of the HTTP fallback's tunnel (tunnel.h), as a layer of the wire pipe:
// the answer to GET {path}/sse is an event stream (text/event-stream, read until the connection
// closes) whose first event names the tunnel, and then every write of the session is one event
// carrying its bytes in base64. The uplink comes from POSTs (tunnel_reply.h) through
// accept_uplink(): the session cannot tell this connection from a WebSocket's.
//
//   event: tunnel            first, once
//   data: <32 hex digits>
//
//   data: <base64 of session bytes>     each write
//
//   event: close             last, when the session ends: its Kite reason
//   data: <code> <name>
//
// Rules it keeps:
//  - the uplink is one byte stream: a POST's bytes are taken only at the offset the stream has
//    reached; bytes it already has (a POST sent again) are skipped, and a POST that would leave
//    a gap is refused and ends the session, since Kite frames cannot survive a hole;
//  - the client sends nothing on the stream's own connection after its GET: anything it does
//    send ends the tunnel.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kite/tls/wire_layer.h"
#include "websocket/tunnel.h"

namespace kite::server::websocket {

class SseLayer final : public tls::WireLayer {
 public:
  // `answer_head`: the 200's status line and headers, without the blank line.
  SseLayer(std::string_view answer_head, TunnelName name);

  void receive(std::span<std::uint8_t> bytes, protocol::Session* session,
               protocol::Millis now) override;
  bool open() const override { return !ended_; }
  bool ended() const override { return ended_; }
  std::string why() const override;
  void write(std::span<const std::uint8_t> session_bytes, std::vector<std::uint8_t>& out) override;
  bool has_output() const override { return !output_.empty() || goodbye_pending_; }
  void end(protocol::Reason reason) override;

  bool named(const TunnelName& name) const { return name.secret == secret_; }
  // For `size` uplink bytes POSTed at `offset`: how many leading ones the stream already has,
  // or nullopt when bytes before `offset` never came. On success the stream has all of them.
  std::optional<std::size_t> accept_uplink(std::uint64_t offset, std::size_t size);
  std::uint64_t uplink_bytes() const { return uplink_bytes_; }

 private:
  std::uint64_t secret_;
  std::uint64_t uplink_bytes_ = 0;
  bool ended_ = false;
  bool close_written_ = false;
  bool goodbye_pending_ = false;
  std::string goodbye_text_;          // the close event's data
  std::vector<std::uint8_t> output_;  // the answer's head and first event, until written
};

}  // namespace kite::server::websocket
