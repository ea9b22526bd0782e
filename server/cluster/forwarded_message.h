// A QoS 0 message one node forwards to the node its device is connected to, as it travels on
// the holder's Redis channel (redis_presence.h):
//
//   'q' device-length:u16 device topic-length:u16 topic content-type-length:u16 content-type
//   payload (the rest)
//
// Lengths are big-endian. decode() refuses anything truncated or with an empty device id: the
// channel is Kite's own, but a parser never trusts its input (fuzz_http_url feeds it).
#pragma once

#include <string>
#include <string_view>

namespace kite::server::cluster {

struct ForwardedMessage {
  std::string_view device, topic, content_type, payload;
};

// "" when a field is too long for its u16 length (the limits of protocol/limits.h are far below).
std::string encode_forwarded(const ForwardedMessage& message);
// Views point into `text`; false when it is not a whole forwarded message.
bool decode_forwarded(std::string_view text, ForwardedMessage& message);

}  // namespace kite::server::cluster
