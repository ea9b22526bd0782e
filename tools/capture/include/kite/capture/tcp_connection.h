// One TCP connection of a tcpdump capture: both directions reassembled (StreamReassembler), cut
// into frames (FrameSplitter), and what comes of it told as events: opened (SYN), frames,
// closed (FIN both ways, or RST), and problems.
//
// Rules it keeps:
//  - a direction stops yielding frames at its first error (a hole that never filled, a bad
//    frame header, too much out-of-order data); each error is reported once, with its stream
//    offset;
//  - a direction whose SYN was not captured starts at its first segment with data, and the
//    connection says so once, as a warning;
//  - a direction ends at its FIN, at a RST of either side, or at the end of the capture; at
//    its end, missing bytes ("N bytes missing at stream offset X") or a frame cut short are
//    reported.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kite/capture/event.h"
#include "kite/capture/frame_splitter.h"
#include "kite/capture/packet_parser.h"
#include "kite/capture/stream_reassembler.h"

namespace kite::capture {

// When and from which input the segment being handled came: stamped on every event it causes.
struct SegmentContext {
  std::int64_t time_ns = 0;
  std::size_t input = 0;
};

class TcpConnection {
 public:
  TcpConnection(ConnectionKey key, std::size_t max_out_of_order);

  // Takes a segment of this connection, travelling in `direction`; appends the events it
  // causes to `out`.
  void add(const TcpSegment& segment, Direction direction, const SegmentContext& context,
           std::vector<Event>& out);
  // The capture is over: reports what is missing in the directions still open.
  void finish(const SegmentContext& context, std::vector<Event>& out);
  // Ends it now (a RST, or its ports taken by a new connection): both directions end as at the
  // end of the capture, then a Closed event says `why`.
  void close(std::string why, const SegmentContext& context, std::vector<Event>& out);

  // Both directions ended (FIN each way, or a RST): nothing more comes of this connection.
  bool closed() const { return closed_; }
  const ConnectionKey& key() const { return key_; }
  // The client's initial sequence number, once its SYN was seen (to tell a retransmitted SYN
  // from a new connection on the same ports).
  std::optional<std::uint32_t> client_isn() const { return client_isn_; }

 private:
  struct Stream {
    explicit Stream(std::size_t max_out_of_order) : reassembler(max_out_of_order) {}
    StreamReassembler reassembler;
    FrameSplitter splitter;
    std::vector<std::uint8_t> arrived;  // bytes the last segment made contiguous
    bool mid_stream = false;            // started without a SYN
    bool ended = false;                 // FIN reached, RST, or capture over
    bool stopped = false;               // an error was reported: no more frames
    bool looks_like_tls = false;        // began with a TLS handshake record
  };

  Stream& stream(Direction d) { return streams_[static_cast<std::size_t>(d)]; }
  Event event(EventKind kind, Direction direction, const SegmentContext& context) const;
  void problem(Direction direction, Severity severity, std::string text,
               std::optional<std::uint64_t> offset, const SegmentContext& context,
               std::vector<Event>& out) const;
  void handle_syn(const TcpSegment& segment, Direction direction, const SegmentContext& context,
                  std::vector<Event>& out);
  void start_mid_stream(const TcpSegment& segment, Direction direction,
                        const SegmentContext& context, std::vector<Event>& out);
  void deliver(Direction direction, const SegmentContext& context, std::vector<Event>& out);
  void report_split_error(Direction direction, const SplitResult& result,
                          const SegmentContext& context, std::vector<Event>& out);
  void end_stream(Direction direction, const SegmentContext& context, std::vector<Event>& out);

  ConnectionKey key_;
  std::string peer_;
  std::array<Stream, 2> streams_;
  std::optional<std::uint32_t> client_isn_;
  bool opened_reported_ = false;
  bool mid_stream_reported_ = false;
  bool closed_ = false;
  std::optional<Direction> first_fin_;  // who closed first
};

}  // namespace kite::capture
