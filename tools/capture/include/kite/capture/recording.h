// Kite recordings (docs/recording.md, link type 147): every pcap record is one event of one
// connection, a 16-byte pseudo-header (big-endian) and its payload:
//
//   0        1      2           3      4                     12         16
//   +--------+------+-----------+------+---------------------+----------+---------
//   |version | kind | direction | flags| connection id (u64) | reserved | payload
//   +--------+------+-----------+------+---------------------+----------+---------
//
// A record that cannot be read becomes a Problem event and the next record is read as usual:
// records delimit themselves, so one bad record loses nothing else.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kite/capture/event.h"
#include "kite/capture/pcap_reader.h"

namespace kite::capture {

inline constexpr std::size_t kPseudoHeaderSize = 16;
inline constexpr std::uint8_t kRecordingVersion = 1;

namespace record_kind {
inline constexpr std::uint8_t kFrame = 0;
inline constexpr std::uint8_t kOpened = 1;
inline constexpr std::uint8_t kClosed = 2;
}  // namespace record_kind

inline constexpr std::uint8_t kRecordFlagTls = 0x01;

class RecordingDecoder {
 public:
  // `origin`: goes into every ConnectionKey (see connection_key.h).
  explicit RecordingDecoder(std::uint32_t origin = 0) : origin_(origin) {}

  // Appends the event the record holds, or a Problem saying why it holds none, to `out`.
  void add(const Packet& packet, std::size_t input, std::vector<Event>& out);

 private:
  std::uint32_t origin_;
  std::map<std::uint64_t, std::string> peers_;  // of connections opened and not yet closed
};

}  // namespace kite::capture
