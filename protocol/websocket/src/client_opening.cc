#include "kite/websocket/client_opening.h"

#include "kite/websocket/handshake.h"

namespace kite::websocket {

ClientOpening::ClientOpening(ClientOpeningOptions options)
    : options_(std::move(options)), key_(new_key()) {}

void ClientOpening::start(std::vector<std::uint8_t>& out) {
  std::string request =
      "GET " + options_.path + " HTTP/1.1\r\nHost: " + options_.host +
      "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key_ +
      "\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + std::string(kSubprotocol) +
      "\r\n";
  if (!options_.origin.empty()) request += "Origin: " + options_.origin + "\r\n";
  request += "\r\n";
  out.insert(out.end(), request.begin(), request.end());
}

Opening::Step ClientOpening::receive(std::span<const std::uint8_t> bytes, std::size_t& used,
                                     std::vector<std::uint8_t>&) {
  switch (head_.feed(bytes, used)) {
    case ResponseHead::Step::More:
      return Step::More;
    case ResponseHead::Step::Bad:
      return refuse("the answer to the WebSocket upgrade is not HTTP: " +
                    std::string(head_.error()));
    case ResponseHead::Step::Done:
      break;
  }
  if (head_.status() != 101)
    return refuse("the server answered the WebSocket upgrade with " +
                  std::to_string(head_.status()) + " " + std::string(head_.reason()) +
                  " (is this kited's WebSocket port and path?)");
  const std::string* upgrade = head_.header("upgrade");
  const std::string* connection = head_.header("connection");
  if (!upgrade || !lists_token(*upgrade, "websocket") || !connection ||
      !lists_token(*connection, "upgrade"))
    return refuse("the server's 101 lacks Upgrade: websocket or Connection: Upgrade");
  const std::string* accept = head_.header("sec-websocket-accept");
  if (!accept || *accept != accept_key(key_))
    return refuse("the server's Sec-WebSocket-Accept does not answer this request's key");
  const std::string* protocol = head_.header("sec-websocket-protocol");
  if (!protocol || *protocol != kSubprotocol)
    return refuse("the server did not agree to the kite.v1 subprotocol");
  return Step::Open;
}

Opening::Step ClientOpening::refuse(std::string why) {
  failure_ = std::move(why);
  return Step::Refused;
}

}  // namespace kite::websocket
