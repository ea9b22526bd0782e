// TunnelReplyLayer: a connection that carries one request the tunnel's worker answers (tunnel.h):
// a POST's uplink, or a poll. The entry layer has sent it there through the TunnelHost; this
// layer waits for the answer (answer()), then writes it (204, 200 with a poll's bytes, or a
// problem body that says what to do) and ends: the connection closes, like every exchange on the
// WebSocket port other than a WebSocket or a stream.
#pragma once

#include <string>
#include <vector>

#include "kite/tls/wire_layer.h"
#include "websocket/tunnel.h"

namespace kite::server::websocket {

class TunnelReplyLayer final : public tls::WireLayer {
 public:
  // `cors`: the headers every answer carries (Access-Control-Allow-Origin for a browser's page).
  explicit TunnelReplyLayer(std::vector<std::pair<std::string, std::string>> cors);

  void answer(const TunnelAnswer& answer);

  void receive(std::span<std::uint8_t>, protocol::Session*, protocol::Millis) override {}
  bool open() const override { return false; }
  bool ended() const override { return answered_; }
  std::string why() const override { return failure_; }
  void write(std::span<const std::uint8_t>, std::vector<std::uint8_t>& out) override;
  bool has_output() const override { return !output_.empty(); }
  void end(protocol::Reason) override {}

 private:
  std::vector<std::pair<std::string, std::string>> cors_;
  bool answered_ = false;
  std::string failure_;  // a refusal's "status: detail", for the log
  std::vector<std::uint8_t> output_;
};

}  // namespace kite::server::websocket
