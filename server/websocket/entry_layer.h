// EntryLayer: the first layer of every connection on kited's WebSocket listeners. It reads one
// HTTP request with the admin port's parser (http/request_parser.h) and hands the connection to
// the layer the request asks for (WireLayer::take_successor()):
//
//   GET     {path}                         upgrade.h: a WebSocket (the 101 first)
//   GET     {path}/sse                     sse_layer.h: a streamed tunnel on this connection
//   GET     {path}/poll                    a polled tunnel (TunnelHost::open_poll_tunnel): 200
//                                          with its name, then the end
//   GET     {path}/poll/{tunnel}?from={n}  tunnel_reply.h: a poll, sent to the tunnel's worker
//   POST    {path}/sse/{tunnel}?at={n}     tunnel_reply.h: uplink bytes, sent to the tunnel's
//   POST    {path}/poll/{tunnel}?at={n}    worker (TunnelHost::route_uplink)
//   OPTIONS {path}/sse..., {path}/poll...  a browser's CORS preflight: 204, then the end
//
// Anything else is refused with a status and a problem body, and the layer ends: 404 for another
// path or a malformed tunnel name, 405 for another method, 400 for a missing or bad offset, 403
// for an Origin outside websocket.origins, 431 for a head above 8 KiB, 413 for a POST above
// 64 KiB, 503 when no polled tunnel can be made. Every answer but the 101 and the event stream
// closes the connection.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/request_parser.h"
#include "kite/tls/wire_layer.h"
#include "websocket/tunnel.h"
#include "websocket/upgrade.h"

namespace kite::server::websocket {

class EntryLayer final : public tls::WireLayer {
 public:
  // `connection`: the id of the connection it enters, which names a stream opened on it.
  // `host`: that connection, which outlives the layer.
  EntryLayer(std::shared_ptr<const UpgradeRules> rules, std::uint64_t connection, TunnelHost& host);

  void receive(std::span<std::uint8_t> bytes, protocol::Session* session,
               protocol::Millis now) override;
  bool open() const override { return false; }
  bool ended() const override { return ended_; }
  std::string why() const override { return failure_; }
  void write(std::span<const std::uint8_t> session_bytes, std::vector<std::uint8_t>& out) override;
  bool has_output() const override { return !output_.empty(); }
  void end(protocol::Reason) override {}
  std::unique_ptr<tls::WireLayer> take_successor() override { return std::move(next_); }

 private:
  void dispatch(http::HttpRequest& request);
  // A request under {path}/sse or {path}/poll; `tunnel`: what follows "/" after it, if anything.
  void dispatch_tunnel(http::HttpRequest& request, TunnelKind kind,
                       std::optional<std::string_view> tunnel);
  void open_stream(const http::HttpRequest& request);
  void open_poll(const http::HttpRequest& request);
  void poll(const http::HttpRequest& request, TunnelName name);
  void post_uplink(http::HttpRequest& request, TunnelKind kind, TunnelName name);
  void preflight(const http::HttpRequest& request);
  void finish(const Answer& answer);  // a refusal (or a preflight's 204): the layer ends

  std::shared_ptr<const UpgradeRules> rules_;
  std::uint64_t connection_;
  TunnelHost& host_;
  std::unique_ptr<http::RequestParser> parser_;
  std::unique_ptr<tls::WireLayer> next_;
  bool ended_ = false;
  std::string failure_;
  std::vector<std::uint8_t> output_;
};

// The layer for a new connection of a WebSocket listener.
std::unique_ptr<tls::WireLayer> entry_layer(std::shared_ptr<const UpgradeRules> rules,
                                            std::uint64_t connection, TunnelHost& host);

}  // namespace kite::server::websocket
