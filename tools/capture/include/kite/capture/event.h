// One thing that happened on a Kite connection, as a capture tells it: a frame in one direction,
// the connection opening or closing, or a problem reading it. CaptureReader hands them out in
// time order; every kind of input (Kite recording, tcpdump capture) comes out the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kite/capture/connection_key.h"

namespace kite::capture {

enum class Direction : std::uint8_t {
  ToServer = 0,    // uplink: from the device to kited
  FromServer = 1,  // downlink: from kited to the device
};

enum class EventKind : std::uint8_t {
  Frame,    // one whole Kite frame (header, body, padding) in `frame`
  Opened,   // the connection started (a recording's "opened", or a TCP SYN)
  Closed,   // the connection ended; `text` may say why
  Problem,  // something in the capture could not be read; `text` says what, `severity` how bad
};

enum class Severity : std::uint8_t {
  Warning,  // the frames go on (e.g. a TCP connection already running when the capture started)
  Error,    // frames were lost: this direction (or record) yields no more of them
};

struct Event {
  std::int64_t time_ns = 0;  // since the epoch
  // Absent only for a Problem with a record that names no connection (a corrupt pseudo-header).
  std::optional<ConnectionKey> connection;
  Direction direction = Direction::ToServer;
  EventKind kind = EventKind::Frame;
  // Frame: the whole frame as it travelled: 8-byte header, body (maybe compressed), padding.
  // A Kite recording's frame is passed on as recorded, even when its header is bad; a frame cut
  // from a TCP stream always has a header that passed protocol::read_header.
  std::vector<std::uint8_t> frame;
  // TCP captures: where in its direction's byte stream the frame (or the Problem) lies.
  std::optional<std::uint64_t> stream_offset;
  std::string peer;  // the device's address, "IP:port" or "[IPv6]:port"; empty when unknown
  bool tls = false;  // recordings: the connection came in through kited's TLS listener
  std::string text;  // Closed: why (may be empty); Problem: what went wrong
  Severity severity = Severity::Error;  // Problem only
  std::size_t input = 0;                // index of the input (file) it came from
};

}  // namespace kite::capture
