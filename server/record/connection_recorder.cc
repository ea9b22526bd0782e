#include "record/connection_recorder.h"

#include <chrono>

namespace kite::server::record {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

std::int64_t wall_clock_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ConnectionRecorder::ConnectionRecorder(WorkerRecorder& worker, std::uint64_t connection, bool tls,
                                       bool from_start)
    : worker_(worker),
      connection_(connection),
      flags_(tls ? kFlagTls : 0),
      uplink_synced_(from_start),
      holding_(worker.choose({}) == WorkerRecorder::Choice::wait) {}

bool ConnectionRecorder::event(std::int64_t time_ns, EventKind kind, Direction direction,
                               std::span<const std::uint8_t> payload) {
  if (!holding_) return worker_.write(time_ns, {kind, direction, flags_, connection_}, payload);
  held_bytes_ += record_size(payload.size());
  if (held_bytes_ > kMaxHeldBytes) return false;  // no hello within a handshake's bytes
  held_.push_back({time_ns, kind, direction, {payload.begin(), payload.end()}});
  return true;
}

bool ConnectionRecorder::opened(std::string_view peer) {
  if (!worker_.active()) return false;
  return event(wall_clock_ns(), EventKind::opened, Direction::uplink, as_bytes(peer));
}

bool ConnectionRecorder::uplink(std::span<const std::uint8_t> bytes, bool at_frame_boundary) {
  if (!worker_.active()) return false;
  if (!uplink_synced_) {
    if (!at_frame_boundary) return true;  // inside a frame that began before recording did
    uplink_synced_ = true;
  }
  const std::int64_t time = wall_clock_ns();  // every frame these bytes complete ends now
  bool ok = true;
  // A stream that is not frames stops being split (the session closes such a connection);
  // what was recorded before stays, and closed() still comes.
  uplink_.feed(bytes, [&](std::span<const std::uint8_t> frame) {
    ok = ok && event(time, EventKind::frame, Direction::uplink, frame);
  });
  return ok;
}

bool ConnectionRecorder::downlink(std::span<const std::uint8_t> bytes) {
  if (!worker_.active()) return false;
  const std::int64_t time = wall_clock_ns();
  bool ok = true;
  downlink_.feed(bytes, [&](std::span<const std::uint8_t> frame) {
    ok = ok && event(time, EventKind::frame, Direction::downlink, frame);
  });
  return ok;
}

bool ConnectionRecorder::identified(std::string_view device) {
  return decide(worker_.choose(device));
}

bool ConnectionRecorder::reconsider(std::string_view device) {
  const auto choice = worker_.choose(device);
  if (choice == WorkerRecorder::Choice::wait) {
    holding_ = true;  // a device list came while the hello is still to come
    return true;
  }
  return decide(choice);
}

bool ConnectionRecorder::decide(WorkerRecorder::Choice choice) {
  switch (choice) {
    case WorkerRecorder::Choice::skip:
      return false;
    case WorkerRecorder::Choice::wait:  // no device id after all: keep holding
      return true;
    case WorkerRecorder::Choice::record:
      return release_held();
  }
  return false;
}

bool ConnectionRecorder::release_held() {
  holding_ = false;
  bool ok = true;
  for (const auto& held : held_)
    ok = ok && worker_.write(held.time_ns, {held.kind, held.direction, flags_, connection_},
                             held.payload);
  std::vector<HeldEvent>().swap(held_);
  held_bytes_ = 0;
  return ok;
}

void ConnectionRecorder::closed() {
  // A connection still held never named a chosen device: nothing of it is written.
  if (holding_ || !worker_.active()) return;
  event(wall_clock_ns(), EventKind::closed, Direction::uplink, as_bytes(close_reason_));
}

}  // namespace kite::server::record
