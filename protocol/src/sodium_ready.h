// libsodium, the protocol core's cryptography (HMAC-SHA256, random bytes, constant-time compare).
#pragma once

#include <sodium.h>

namespace kite::protocol {

// sodium_init() once per process, on first use, thread-safely (a function-local static). True
// if libsodium is ready: sodium_init() returns 0 the first time, 1 if the program had already
// called it, -1 on failure.
inline bool sodium_ready() {
  static const bool ready = sodium_init() >= 0;
  return ready;
}

}  // namespace kite::protocol
