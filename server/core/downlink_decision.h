// Which way a device's stored (QoS 1) messages go out: a message carried to the worker as it was
// stored (core/delivery/dispatcher.h) is sent at once, or left to a store read when the
// connection can take it. The device's delivery code acts on the answer; this decides it from
// plain numbers, so it is unit-tested without a session or a socket.
//
//   store queue:  ... acked | sent, awaiting ack (last_sent) | next: last_sent + 1 | later ...
//                                                              ▲ a carried message is sent now
//                                                                only here, with no backlog
// Rules it keeps:
//  - the device gets its queue in seq order: a carried message is sent now only if it is the
//    very next seq and nothing older waits in the store (no backlog);
//  - an expired message is never sent from a carry: the store read drops it (store/ttl.h);
//  - nothing is sent without credit, nor while the socket's write queue plus the session's
//    unwritten output is at or above the high-water mark: a slow device costs disk, not memory;
//  - whatever is not sent now stays in the store, read when there is room: carrying is an
//    optimisation, never the only path (core/delivery/delivery_batch.h).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace kite::server {

// Store reads fetch at most this many messages, and about this many payload bytes, at a time.
inline constexpr std::size_t kStoreReadBatch = 32;
inline constexpr std::size_t kStoreReadBytes = 256 * 1024;

// Whether the device can take another message now.
struct DownlinkRoom {
  std::uint32_t credit = 0;          // the device's send window
  std::size_t queued_bytes = 0;      // in the socket's write queue or the session's output
  std::size_t high_water_bytes = 0;  // session.write_high_water_bytes
  bool any() const { return credit > 0 && queued_bytes < high_water_bytes; }
};

// Where the device's queue stands on this connection.
struct DownlinkPosition {
  std::uint64_t last_sent = 0;  // highest store seq handed to the session
  bool backlog = false;         // the store may hold more than was sent
};

enum class CarriedStep : std::uint8_t {
  skip,        // sent already (at or below last_sent)
  send_now,    // the next in order, unexpired, and there is room
  read_store,  // the store has it: read when there is room (seq 0: a wake without a message)
};

CarriedStep carried_step(std::uint64_t seq, std::uint64_t expires_at_ms,
                         const DownlinkPosition& position, const DownlinkRoom& room,
                         std::uint64_t wall_ms);

// How many messages one store read asks for.
inline std::size_t store_read_count(std::uint32_t credit) {
  return std::min<std::size_t>(credit, kStoreReadBatch);
}

}  // namespace kite::server
