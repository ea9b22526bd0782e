// kite_websocket_none: no OpenSSL, so no SHA-1 and no accept value (handshake.h). A device SDK
// linked with it refuses ws:// and wss:// URLs at start() and says why.
#include "kite/websocket/handshake.h"

namespace kite::websocket {

std::string accept_key(std::string_view) {
  return {};
}

bool accept_key_available() {
  return false;
}

}  // namespace kite::websocket
