// What a frame from an authenticated device costs in its uplink token bucket
// (session.uplink_rate_per_s, uplink_burst; Connection::charge_uplink).
//
// Rules it keeps:
//  - every frame costs, not only publishes: pings, replies, subscribes and errors each make kited
//    work, and a device that sends only those meets the same limit;
//  - acks and credits cost a sixteenth: a device sends about three of them per 32 messages it
//    receives, so at full price its acks would cap its downlink at the uplink rate; at this price
//    a device at the default rate can still take about 17,000 messages a second, and a flood of
//    them is still bounded;
//  - decompressed bytes cost too: one token per whole 16 KiB of body after decompression, so a
//    small compressed frame that inflates to the maximum frame size (a "ping bomb") costs what
//    its inflated body costs;
//  - services pay nothing: they are trusted backends and have no bucket.
#pragma once

#include <cstddef>

#include "kite/wire/kite_generated.h"

namespace kite::server {

inline constexpr std::size_t kUplinkBytesPerToken = 16 * 1024;
inline constexpr double kUplinkAckCost = 1.0 / 16;

constexpr double uplink_cost(wire::Message type, std::size_t body_bytes) {
  const bool bookkeeping = type == wire::Message::Ack || type == wire::Message::Credit;
  return (bookkeeping ? kUplinkAckCost : 1.0) +
         static_cast<double>(body_bytes / kUplinkBytesPerToken);
}

}  // namespace kite::server
