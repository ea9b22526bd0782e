// A client's side of the WebSocket opening (RFC 6455 4.1): the upgrade request for kited's
// subprotocol, and the checks on the answer (101, the upgrade headers, the accept value for this
// request's key, the subprotocol). Anything else is refused with a sentence that names it.
#pragma once

#include <string>

#include "kite/websocket/layer.h"
#include "kite/websocket/response_head.h"

namespace kite::websocket {

struct ClientOpeningOptions {
  std::string host;        // the Host header: "name" or "name:port"
  std::string path = "/";  // the request target
  std::string origin;      // sent when not empty (a browser always sends one; devices need not)
};

class ClientOpening final : public Opening {
 public:
  explicit ClientOpening(ClientOpeningOptions options);

  void start(std::vector<std::uint8_t>& out) override;
  Step receive(std::span<const std::uint8_t> bytes, std::size_t& used,
               std::vector<std::uint8_t>& out) override;
  std::string_view failure() const override { return failure_; }

 private:
  Step refuse(std::string why);

  ClientOpeningOptions options_;
  std::string key_;
  ResponseHead head_;
  std::string failure_;
};

}  // namespace kite::websocket
