// Recording one connection: its events (opened, frames both ways, closed) cut into whole frames
// and handed to its worker's recorder, or held until the device is known.
//
// Rules it keeps:
//  - it sees plaintext only: uplink is what the session was given (after TLS), downlink what the
//    session wrote (before TLS); events carry the read's or the write's wall-clock time;
//  - with a device list, nothing is written before the hello names the device: the connection's
//    first events are held (at most kMaxHeldBytes: a handshake's worth, see protocol/limits.h),
//    then written if the device is chosen or dropped with the recorder; so the hello that
//    decided is in the recording;
//  - a recorder made for a connection that is already open starts at a frame boundary in each
//    direction: downlink at once (the session's output is always whole frames), uplink at the
//    first read that begins while the session holds no partial frame (the caller says so); a
//    connection whose every read ends inside a frame is picked up late, not cut wrongly;
//  - every call returns false once the connection is no longer recorded (recording off or
//    failed on the worker, device not chosen, too much held): the owner then drops the recorder,
//    so an unrecorded connection costs one null-pointer check per read and write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kite/protocol/frame_header.h"
#include "kite/protocol/limits.h"
#include "record/frame_splitter.h"
#include "record/worker_recorder.h"

namespace kite::server::record {

// A hello, its neighbours in the same read and the opened event, with room to spare.
inline constexpr std::size_t kMaxHeldBytes =
    4 * protocol::frame_size(protocol::limits::kHandshakeMaxBody);

// Wall-clock nanoseconds since the Unix epoch: the time of an event.
std::int64_t wall_clock_ns();

class ConnectionRecorder {
 public:
  // `from_start`: the connection was just accepted, its streams start at a frame; otherwise they
  // are picked up at the next boundary (see above).
  ConnectionRecorder(WorkerRecorder& worker, std::uint64_t connection, bool tls, bool from_start);

  // The connection opened from `peer` ("IP:port", "[IPv6]:port").
  bool opened(std::string_view peer);
  // Bytes the session was given. `at_frame_boundary`: the session held no partial frame before
  // them (used only while the uplink is being picked up).
  bool uplink(std::span<const std::uint8_t> bytes, bool at_frame_boundary);
  // Bytes the session wrote, as they go to the socket (or to TLS).
  bool downlink(std::span<const std::uint8_t> bytes);
  // The hello named `device`: held events are written if it is chosen.
  bool identified(std::string_view device);
  // The settings changed: decide again for `device` ("" while unknown).
  bool reconsider(std::string_view device);
  // Why the connection is ending ("KeepaliveTimeout", "peer closed"...), for closed().
  void set_close_reason(std::string why) { close_reason_ = std::move(why); }
  // The socket closed: the last event.
  void closed();

  bool holding() const { return holding_; }

 private:
  struct HeldEvent {
    std::int64_t time_ns;
    EventKind kind;
    Direction direction;
    std::vector<std::uint8_t> payload;
  };

  bool event(std::int64_t time_ns, EventKind kind, Direction direction,
             std::span<const std::uint8_t> payload);
  bool decide(WorkerRecorder::Choice choice);
  bool release_held();

  WorkerRecorder& worker_;
  std::uint64_t connection_;
  std::uint8_t flags_;
  bool uplink_synced_;
  bool holding_ = false;
  FrameSplitter uplink_, downlink_;
  std::vector<HeldEvent> held_;
  std::size_t held_bytes_ = 0;
  std::string close_reason_;
};

}  // namespace kite::server::record
