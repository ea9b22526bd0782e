// Fuzzes the capture reader (tools/capture). Byte 0 picks the mode and its options; the rest is
// the input.
//
// Mode 0 (bit 0 clear): the input is a pcap file, read by CaptureReader (pcap reader, Kite
// recording records, link layers, IP, TCP reassembly, frame splitter). Bits 1-2: the server port
// (kPorts); bit 3: a 4 KiB out-of-order bound instead of 16 MiB (the overflow path). Checked:
// the reader counts the same records as a PcapReader on its own; every frame cut from TCP is one
// whole frame with a good header, and each direction's frames are back to back from offset 0;
// nothing of a direction follows its error, nothing of a connection follows its close.
//
// Mode 1 (bit 0 set): the input is one TCP payload stream. Byte 1: segment size (kSegmentSizes);
// byte 2: segment order (in order, reversed, pairs swapped, every segment twice); bytes 3-6:
// the initial sequence number (wrap-around); then the stream. Checked: the splitter gives the
// same frames and the same error fed whole and fed in segments; frames are the stream's bytes
// back to back, an error sits where read_header fails; and the stream sent as shuffled TCP
// segments through TcpTracker comes out as exactly the same frames.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "fuzz_check.h"
#include "kite/capture/capture_reader.h"
#include "kite/capture/frame_splitter.h"
#include "kite/capture/tcp_tracker.h"

namespace kite::fuzz {
namespace {

using Bytes = std::vector<std::uint8_t>;
using capture::Direction;
using capture::Event;
using capture::EventKind;

constexpr std::array<std::uint16_t, 4> kPorts = {7000, 7443, 1, 65535};
constexpr std::array<std::size_t, 8> kSegmentSizes = {1, 3, 8, 13, 64, 536, 1460, 65535};

// ---- mode 0: a pcap file ------------------------------------------------------------------------

std::uint64_t count_records(std::span<const std::uint8_t> file) {
  capture::MemorySource source(file);
  capture::PcapReader reader(source);
  if (!reader.open()) return 0;
  const std::uint32_t link = reader.header().link_type;
  if (link != capture::link_type::kKiteRecording && !capture::is_ip_link_type(link)) return 0;
  std::uint64_t records = 0;
  capture::Packet packet;
  while (reader.next(packet) == capture::PcapReader::Status::Packet) ++records;
  return records;
}

struct StreamKey {
  capture::ConnectionKey connection;
  Direction direction;
  auto operator<=>(const StreamKey&) const = default;
};

void check_pcap(std::uint8_t options, std::span<const std::uint8_t> file) {
  capture::CaptureOptions settings;
  settings.server_port = kPorts[(options >> 1) & 3];
  if (options & 8) settings.max_out_of_order = 4096;
  std::vector<capture::CaptureInput> inputs(1);
  inputs[0].name = "fuzz";
  inputs[0].source = std::make_unique<capture::MemorySource>(file);
  capture::CaptureReader reader(std::move(inputs), settings);

  std::map<StreamKey, std::uint64_t> next_offset;  // where each direction's next frame must be
  std::set<StreamKey> failed;
  std::set<capture::ConnectionKey> closed;
  for (Event e; reader.next(e);) {
    KITE_FUZZ_CHECK(e.input == 0);
    if (!e.connection) {  // only a recording's unreadable record names no connection
      KITE_FUZZ_CHECK(e.kind == EventKind::Problem && reader.inputs()[0].recording());
      continue;
    }
    const capture::ConnectionKey& key = *e.connection;
    if (!key.from_tcp()) continue;  // a recording's events are its records, as they are
    KITE_FUZZ_CHECK(closed.count(key) == 0);
    KITE_FUZZ_CHECK(!e.peer.empty());
    const StreamKey stream{key, e.direction};
    if (e.kind == EventKind::Closed) closed.insert(key);
    if (e.kind == EventKind::Problem && e.severity == capture::Severity::Error)
      failed.insert(stream);
    if (e.kind != EventKind::Frame) continue;
    KITE_FUZZ_CHECK(failed.count(stream) == 0);
    protocol::FrameHeader header;
    KITE_FUZZ_CHECK(capture::whole_frame_problem(e.frame, header).empty());
    KITE_FUZZ_CHECK(e.stream_offset && *e.stream_offset == next_offset[stream]);
    next_offset[stream] += e.frame.size();
  }
  KITE_FUZZ_CHECK(reader.inputs()[0].packets == count_records(file));
  KITE_FUZZ_CHECK(reader.all_read() == reader.inputs()[0].error.empty());
}

// ---- mode 1: one TCP payload stream -------------------------------------------------------------

struct Split {
  std::vector<Bytes> frames;
  std::optional<std::uint64_t> error_at;
  protocol::Reason error = protocol::Reason::None;
  std::size_t partial = 0;
};

Split split(std::span<const std::uint8_t> stream, std::size_t chunk) {
  capture::FrameSplitter splitter;
  Split out;
  for (std::size_t at = 0; at < stream.size() && !out.error_at; at += chunk) {
    splitter.feed(stream.subspan(at, std::min(chunk, stream.size() - at)));
    for (;;) {
      const capture::SplitResult r = splitter.next();
      if (r.status == capture::SplitResult::Status::NeedMore) break;
      if (r.status == capture::SplitResult::Status::Error) {
        out.error_at = r.offset;
        out.error = r.error;
        KITE_FUZZ_CHECK(splitter.next().status == capture::SplitResult::Status::Error);
        break;
      }
      KITE_FUZZ_CHECK(r.offset == splitter.offset() - r.frame.size());
      out.frames.emplace_back(r.frame.begin(), r.frame.end());
    }
  }
  out.partial = splitter.partial_bytes();
  return out;
}

// The stream as TCP segments of `size` bytes from `isn` + 1, in the order `order` picks.
std::vector<capture::TcpSegment> segments_of(std::span<const std::uint8_t> stream, std::size_t size,
                                             std::uint8_t order, std::uint32_t isn) {
  std::vector<capture::TcpSegment> segments;
  capture::TcpSegment s;
  s.source.address[0] = 10;
  s.source.port = 50000;
  s.destination.address[0] = 10;
  s.destination.port = 7000;
  s.flags = capture::tcp_flags::kAck;
  for (std::size_t at = 0; at < stream.size(); at += size) {
    s.seq = isn + 1 + static_cast<std::uint32_t>(at);
    s.payload = stream.subspan(at, std::min(size, stream.size() - at));
    segments.push_back(s);
  }
  switch (order % 4) {
    case 1:
      std::reverse(segments.begin(), segments.end());
      break;
    case 2:
      for (std::size_t i = 0; i + 1 < segments.size(); i += 2)
        std::swap(segments[i], segments[i + 1]);
      break;
    case 3: {  // each one twice, the copy after the next segment
      std::vector<capture::TcpSegment> twice;
      for (std::size_t i = 0; i < segments.size(); ++i) {
        twice.push_back(segments[i]);
        if (i > 0) twice.push_back(segments[i - 1]);
      }
      if (!segments.empty()) twice.push_back(segments.back());
      segments = std::move(twice);
      break;
    }
    default:
      break;
  }
  return segments;
}

void check_stream(std::span<const std::uint8_t> input) {
  if (input.size() < 6) return;
  const std::size_t size = kSegmentSizes[input[0] % kSegmentSizes.size()];
  const std::uint8_t order = input[1];
  std::uint32_t isn;
  std::memcpy(&isn, input.data() + 2, 4);
  const std::span<const std::uint8_t> stream = input.subspan(6);

  // Fed whole and fed in segments: the same frames, the same error.
  const Split whole = split(stream, stream.size() + 1);
  const Split pieces = split(stream, size);
  KITE_FUZZ_CHECK(whole.frames == pieces.frames);
  KITE_FUZZ_CHECK(whole.error_at == pieces.error_at && whole.error == pieces.error);

  // The frames are the stream's bytes back to back; an error sits where read_header fails.
  std::uint64_t at = 0;
  for (const auto& frame : whole.frames) {
    protocol::FrameHeader header;
    KITE_FUZZ_CHECK(capture::whole_frame_problem(frame, header).empty());
    KITE_FUZZ_CHECK(std::memcmp(frame.data(), stream.data() + at, frame.size()) == 0);
    at += frame.size();
  }
  if (whole.error_at) {
    KITE_FUZZ_CHECK(*whole.error_at == at && at + protocol::kHeaderSize <= stream.size());
    protocol::FrameHeader header;
    const auto bytes = stream.subspan(at).first<protocol::kHeaderSize>();
    KITE_FUZZ_CHECK(protocol::read_header(bytes, protocol::kAbsoluteMaxBody, header) ==
                    whole.error);
  } else {
    KITE_FUZZ_CHECK(whole.partial == stream.size() - at);
  }

  // Through TCP: SYN, the segments in the chosen order, FIN; the same frames come out.
  capture::TcpTracker tracker(7000);
  std::vector<Event> events;
  std::vector<capture::TcpSegment> segments = segments_of(stream, size, order, isn);
  capture::TcpSegment syn;
  if (!segments.empty()) syn = segments.front();
  syn.seq = isn;
  syn.flags = capture::tcp_flags::kSyn;
  syn.payload = {};
  syn.source.port = 50000;
  syn.destination.port = 7000;
  std::int64_t time = 1;
  tracker.add(syn, {time++, 0}, events);
  for (const auto& s : segments) tracker.add(s, {time++, 0}, events);
  tracker.finish({time, 0}, events);
  std::vector<Bytes> frames;
  bool errors = false;
  for (const auto& e : events) {
    if (e.kind == EventKind::Frame) frames.push_back(e.frame);
    if (e.kind == EventKind::Problem) errors = errors || e.severity == capture::Severity::Error;
  }
  KITE_FUZZ_CHECK(frames == whole.frames);
  KITE_FUZZ_CHECK(errors == (whole.error_at.has_value() || whole.partial > 0));
}

}  // namespace
}  // namespace kite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::span<const std::uint8_t> rest(data + 1, size - 1);
  if (data[0] & 1)
    kite::fuzz::check_stream(rest);
  else
    kite::fuzz::check_pcap(data[0], rest);
  return 0;
}
