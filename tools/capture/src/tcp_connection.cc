#include "kite/capture/tcp_connection.h"

#include <cstdio>

namespace kite::capture {
namespace {

const char* side_name(Direction d) {
  return d == Direction::ToServer ? "the device" : "the server";
}

std::string hex16(std::uint16_t value) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", value);
  return text;
}

}  // namespace

TcpConnection::TcpConnection(ConnectionKey key, std::size_t max_out_of_order)
    : key_(key),
      peer_(key.client.text()),
      streams_{Stream(max_out_of_order), Stream(max_out_of_order)} {}

Event TcpConnection::event(EventKind kind, Direction direction,
                           const SegmentContext& context) const {
  Event e;
  e.time_ns = context.time_ns;
  e.connection = key_;
  e.direction = direction;
  e.kind = kind;
  e.peer = peer_;
  e.input = context.input;
  return e;
}

void TcpConnection::problem(Direction direction, Severity severity, std::string text,
                            std::optional<std::uint64_t> offset, const SegmentContext& context,
                            std::vector<Event>& out) const {
  Event e = event(EventKind::Problem, direction, context);
  e.severity = severity;
  e.text = std::move(text);
  e.stream_offset = offset;
  out.push_back(std::move(e));
}

void TcpConnection::add(const TcpSegment& segment, Direction direction,
                        const SegmentContext& context, std::vector<Event>& out) {
  if (closed_) return;
  if (segment.has(tcp_flags::kSyn)) handle_syn(segment, direction, context, out);
  Stream& s = stream(direction);
  const bool fin = segment.has(tcp_flags::kFin);
  if (!s.reassembler.started() && !segment.has(tcp_flags::kSyn) &&
      (!segment.payload.empty() || fin))
    start_mid_stream(segment, direction, context, out);
  if (!s.ended) {
    // A SYN takes the sequence number before the first byte: its data (rare) starts after it.
    const std::uint32_t seq = segment.seq + (segment.has(tcp_flags::kSyn) ? 1 : 0);
    const bool had_error = s.reassembler.failed();
    s.arrived.clear();
    s.reassembler.add(seq, segment.payload, fin, s.arrived);
    if (!had_error && s.reassembler.failed() && !s.stopped) {
      s.stopped = true;
      problem(direction, Severity::Error, s.reassembler.error(), s.reassembler.delivered(), context,
              out);
    }
    deliver(direction, context, out);
    if (s.reassembler.finished()) {
      if (!first_fin_) first_fin_ = direction;
      end_stream(direction, context, out);
    }
  }
  if (segment.has(tcp_flags::kRst)) {
    close(std::string("reset by ") + side_name(direction), context, out);
    return;
  }
  if (stream(Direction::ToServer).ended && stream(Direction::FromServer).ended && first_fin_)
    close(std::string("closed by ") + side_name(*first_fin_), context, out);
}

void TcpConnection::handle_syn(const TcpSegment& segment, Direction direction,
                               const SegmentContext& context, std::vector<Event>& out) {
  Stream& s = stream(direction);
  if (!s.reassembler.started()) s.reassembler.start(segment.seq + 1);
  if (direction == Direction::ToServer && !client_isn_) client_isn_ = segment.seq;
  // The SYN-ACK acknowledges the client's ISN + 1: where the client's bytes begin, even when
  // its SYN was not captured.
  Stream& client = stream(Direction::ToServer);
  if (direction == Direction::FromServer && segment.has(tcp_flags::kAck) &&
      !client.reassembler.started())
    client.reassembler.start(segment.ack);
  if (!opened_reported_) {
    opened_reported_ = true;
    out.push_back(event(EventKind::Opened, Direction::ToServer, context));
  }
}

void TcpConnection::start_mid_stream(const TcpSegment& segment, Direction direction,
                                     const SegmentContext& context, std::vector<Event>& out) {
  Stream& s = stream(direction);
  s.reassembler.start(segment.seq);
  s.mid_stream = true;
  if (mid_stream_reported_) return;
  mid_stream_reported_ = true;
  problem(direction, Severity::Warning,
          "the capture began after this connection had started (no SYN seen): each direction is "
          "read from its first segment captured, which may not begin a frame",
          std::nullopt, context, out);
}

void TcpConnection::deliver(Direction direction, const SegmentContext& context,
                            std::vector<Event>& out) {
  Stream& s = stream(direction);
  if (s.stopped || s.arrived.empty()) return;
  if (s.splitter.offset() == 0 && s.splitter.partial_bytes() == 0 && s.arrived.size() >= 2)
    s.looks_like_tls = s.arrived[0] == 0x16 && s.arrived[1] == 0x03;
  s.splitter.feed(s.arrived);
  for (;;) {
    const SplitResult result = s.splitter.next();
    if (result.status == SplitResult::Status::NeedMore) return;
    if (result.status == SplitResult::Status::Error) {
      report_split_error(direction, result, context, out);
      return;
    }
    Event e = event(EventKind::Frame, direction, context);
    e.frame.assign(result.frame.begin(), result.frame.end());
    e.stream_offset = result.offset;
    out.push_back(std::move(e));
  }
}

void TcpConnection::report_split_error(Direction direction, const SplitResult& result,
                                       const SegmentContext& context, std::vector<Event>& out) {
  Stream& s = stream(direction);
  s.stopped = true;
  std::string text = "bad frame header at stream offset " + std::to_string(result.offset) + ": " +
                     std::string(protocol::reason_name(result.error)) + " (length " +
                     std::to_string(result.header.length) + ", flags " +
                     hex16(result.header.flags) + ", dictionary " +
                     std::to_string(result.header.dictionary) + "); no more frames this way";
  if (result.offset == 0 && s.looks_like_tls)
    text += " (the stream looks like TLS, which a packet capture cannot read: record in kited)";
  else if (result.offset == 0 && s.mid_stream)
    text += " (the capture began inside this connection, maybe inside a frame)";
  problem(direction, Severity::Error, std::move(text), result.offset, context, out);
}

void TcpConnection::end_stream(Direction direction, const SegmentContext& context,
                               std::vector<Event>& out) {
  Stream& s = stream(direction);
  if (s.ended) return;
  s.ended = true;
  if (s.stopped) return;  // its error was reported already
  if (const auto gap = s.reassembler.gap()) {
    s.stopped = true;
    problem(direction, Severity::Error,
            std::to_string(gap->missing) + " bytes missing at stream offset " +
                std::to_string(gap->offset) + " (never captured): no more frames this way",
            gap->offset, context, out);
    return;
  }
  if (s.splitter.partial_bytes() > 0) {
    s.stopped = true;
    problem(direction, Severity::Error,
            "the stream ended inside a frame at stream offset " +
                std::to_string(s.splitter.offset()) + " (" +
                std::to_string(s.splitter.partial_bytes()) + " bytes of it captured)",
            s.splitter.offset(), context, out);
  }
}

void TcpConnection::close(std::string why, const SegmentContext& context, std::vector<Event>& out) {
  if (closed_) return;
  for (Direction d : {Direction::ToServer, Direction::FromServer}) end_stream(d, context, out);
  closed_ = true;
  Event e = event(EventKind::Closed, Direction::ToServer, context);
  e.text = std::move(why);
  out.push_back(std::move(e));
  streams_ = {Stream(0), Stream(0)};  // nothing more comes: free the buffers
}

void TcpConnection::finish(const SegmentContext& context, std::vector<Event>& out) {
  if (closed_) return;
  for (Direction d : {Direction::ToServer, Direction::FromServer}) end_stream(d, context, out);
}

}  // namespace kite::capture
