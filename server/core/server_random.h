// Secret random bytes on the connection path (challenge nonces, resume tokens, keys for unknown
// devices), drawn from a small per-thread pool that the OS's generator refills: one getrandom()
// per few dozen connections instead of two per connection (libsodium's randombytes_buf is a
// system call per draw; OpenSSL's DRBG checks getpid() on every draw instead).
//
// Invariant: no byte is handed out twice, in this process or in a child forked from it (a fork
// empties every pool in the child).
#pragma once

#include <cstdint>
#include <span>

namespace kite::server {

void server_random(std::span<std::uint8_t> out);

}  // namespace kite::server
