// The TCP connections of a capture, by 4-tuple: which segments belong to the Kite server (its
// port), which connection each one is part of, and when a SYN on ports already seen starts a
// new connection.
//
// Rules it keeps:
//  - the server is the side with `server_port`; segments between other ports are counted and
//    left alone;
//  - a connection is created by a SYN, a SYN-ACK, or a segment carrying data (a connection
//    already running when the capture began); a bare ACK, FIN or RST of an unknown connection
//    creates nothing;
//  - a closed connection's ports stay known, so that late retransmissions are ignored, until a
//    new SYN reuses them.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "kite/capture/tcp_connection.h"

namespace kite::capture {

class TcpTracker {
 public:
  explicit TcpTracker(std::uint16_t server_port,
                      std::size_t max_out_of_order = kDefaultMaxOutOfOrder)
      : server_port_(server_port), max_out_of_order_(max_out_of_order) {}

  // Takes one segment; appends the events it causes to `out`.
  void add(const TcpSegment& segment, const SegmentContext& context, std::vector<Event>& out);
  // The capture is over: what the open connections are missing.
  void finish(const SegmentContext& context, std::vector<Event>& out);

  std::uint64_t other_port_segments() const { return other_port_segments_; }
  std::uint64_t connections_seen() const { return next_id_ - 1; }

 private:
  using Ports = std::pair<Endpoint, Endpoint>;  // client, server

  std::uint16_t server_port_;
  std::size_t max_out_of_order_;
  std::map<Ports, std::unique_ptr<TcpConnection>> connections_;
  std::uint64_t next_id_ = 1;
  std::uint64_t other_port_segments_ = 0;
};

}  // namespace kite::capture
