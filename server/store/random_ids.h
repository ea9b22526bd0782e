// Random identifiers of the store: message ids and store epochs.
//
// Rules: a message id is 128 random bits as 26 lowercase base32 characters (URL-safe, no padding).
// Each thread seeds its generator from the OS once; ids of one thread differ by construction (a
// counter through a bijective mixer), ids of different threads or processes by 128 random bits.
#pragma once

#include <cstdint>
#include <string>

namespace kite::server::store {

std::string new_message_id();
std::uint64_t new_epoch();  // never 0

}  // namespace kite::server::store
