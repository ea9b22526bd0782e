// One direction of one TCP connection: puts its segments back in sequence order and hands on
// each byte once, as soon as every byte before it has arrived.
//
//   stream offset 0                 delivered()                 buffered chunks
//   |<------ handed on (gone) ------>|     gap     [ooo][ ooo ]     [ooo]
//
// Rules it keeps:
//  - offsets are 64-bit and counted from the stream's first byte, so sequence numbers may wrap
//    around 2^32 any number of times; a segment is placed relative to the next byte expected
//    (within 2^31 either side, as TCP itself requires);
//  - a byte that arrives twice (retransmission, overlapping segments) keeps the value seen
//    FIRST: bytes already handed on cannot be taken back, and the same rule for bytes still
//    waiting keeps the result independent of when the hole before them filled;
//  - out-of-order bytes are bounded (max_buffered): beyond that the direction fails with an
//    error and takes nothing more, so a capture with a huge hole cannot exhaust memory;
//  - after FIN, bytes beyond the FIN's sequence are ignored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kite::capture {

inline constexpr std::size_t kDefaultMaxOutOfOrder = 16u << 20;

class StreamReassembler {
 public:
  explicit StreamReassembler(std::size_t max_buffered = kDefaultMaxOutOfOrder)
      : max_buffered_(max_buffered) {}

  // The stream's first byte has sequence number `first_seq` (ISN + 1 after a SYN; the first
  // segment's seq for a connection already running when the capture started).
  void start(std::uint32_t first_seq);
  bool started() const { return started_; }

  // A segment: `payload` at sequence `seq`, `fin` if it carries FIN. Appends the bytes that
  // become contiguous to `out`. Ignored before start(), after finished() and after failed().
  void add(std::uint32_t seq, std::span<const std::uint8_t> payload, bool fin,
           std::vector<std::uint8_t>& out);

  // The byte at this offset is the next one expected.
  std::uint64_t delivered() const { return next_; }
  // FIN reached: every byte up to it was handed on.
  bool finished() const { return fin_offset_ && next_ == *fin_offset_; }
  // Too much out-of-order data: see error().
  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }

  // At the end of the stream (capture over, RST, or FIN seen): if bytes are known to be missing
  // (out-of-order data or a FIN beyond a hole), how many and from which offset.
  struct Gap {
    std::uint64_t offset = 0, missing = 0;
  };
  std::optional<Gap> gap() const;

  std::size_t buffered_bytes() const { return buffered_; }
  // Bytes that arrived a second time (retransmissions, overlaps), dropped.
  std::uint64_t duplicate_bytes() const { return duplicates_; }

 private:
  // Offset of `seq` relative to the next byte expected; may be negative (old data).
  std::int64_t offset_of(std::uint32_t seq) const;
  void store(std::uint64_t offset, std::span<const std::uint8_t> bytes);
  void drain(std::vector<std::uint8_t>& out);
  void drop_beyond(std::uint64_t end);  // waiting bytes at or after `end` (the FIN) go

  std::size_t max_buffered_;
  bool started_ = false;
  std::uint32_t first_seq_ = 0;
  std::uint64_t next_ = 0;
  std::optional<std::uint64_t> fin_offset_;
  std::map<std::uint64_t, std::vector<std::uint8_t>> chunks_;  // by offset, never overlapping
  std::size_t buffered_ = 0;
  std::uint64_t duplicates_ = 0;
  std::string error_;
};

}  // namespace kite::capture
