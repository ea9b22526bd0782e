// kited's side of the WebSocket opening (RFC 6455 4.2): the upgrade request read with the admin
// port's HTTP parser (http/request_parser.h), checked, and answered 101 or refused with a status
// and a problem body that says what to change.
//
// Checks, in order: GET (405), the configured path (404), the upgrade headers (426), version 13
// (426, with Sec-WebSocket-Version: 13), a well-formed key (400), an allowed Origin (403), and
// the kite.v1 subprotocol offered (400). A head above 8 KiB is 431; a request with a body 413.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "http/request_parser.h"
#include "kite/websocket/layer.h"

namespace kite::server::websocket {

// What an upgrade must match: shared by every connection of the listeners.
struct UpgradeRules {
  std::string path = "/";
  std::vector<std::string> origins;  // empty: any
};

class ServerOpening final : public kite::websocket::Opening {
 public:
  explicit ServerOpening(std::shared_ptr<const UpgradeRules> rules);

  Step receive(std::span<const std::uint8_t> bytes, std::size_t& used,
               std::vector<std::uint8_t>& out) override;
  std::string_view failure() const override { return failure_; }

 private:
  Step answer(const http::HttpRequest& request, std::vector<std::uint8_t>& out);
  Step refuse(int status, std::string detail, std::vector<std::uint8_t>& out,
              http::Headers headers = {});

  std::shared_ptr<const UpgradeRules> rules_;
  std::unique_ptr<http::RequestParser> parser_;  // until the request is in
  std::string failure_;
};

// A layer for a connection of a WebSocket listener.
std::unique_ptr<kite::tls::WireLayer> server_layer(std::shared_ptr<const UpgradeRules> rules);

}  // namespace kite::server::websocket
