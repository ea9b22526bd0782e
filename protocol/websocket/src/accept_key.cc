// Sec-WebSocket-Accept with OpenSSL's SHA-1 (handshake.h).
#include <openssl/sha.h>

#include <array>

#include "kite/websocket/handshake.h"

namespace kite::websocket {

std::string accept_key(std::string_view key) {
  static constexpr std::string_view kGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  std::string joined(key);
  joined += kGuid;
  std::array<std::uint8_t, SHA_DIGEST_LENGTH> digest{};
  SHA1(reinterpret_cast<const unsigned char*>(joined.data()), joined.size(), digest.data());
  return base64(digest);
}

bool accept_key_available() {
  return true;
}

}  // namespace kite::websocket
