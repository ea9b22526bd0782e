#include "kite/capture/recording.h"

#include "byte_order.h"

namespace kite::capture {

void RecordingDecoder::add(const Packet& packet, std::size_t input, std::vector<Event>& out) {
  Event e;
  e.time_ns = packet.time_ns;
  e.input = input;
  const std::string where = "record at byte " + std::to_string(packet.file_offset);
  const auto& bytes = packet.data;
  if (bytes.size() < kPseudoHeaderSize || bytes[0] != kRecordingVersion) {
    e.kind = EventKind::Problem;
    e.text = bytes.size() < kPseudoHeaderSize
                 ? where + " has " + std::to_string(bytes.size()) +
                       " bytes, fewer than the 16-byte Kite pseudo-header"
                 : where + " has pseudo-header version " + std::to_string(bytes[0]) +
                       " (this kite reads version 1)";
    out.push_back(std::move(e));
    return;
  }
  const std::uint8_t kind = bytes[1];
  const std::uint8_t direction = bytes[2];
  ConnectionKey key;
  key.origin = origin_;
  key.id = load_be64(bytes.data() + 4);
  e.connection = key;
  e.direction = direction == 1 ? Direction::FromServer : Direction::ToServer;
  e.tls = (bytes[3] & kRecordFlagTls) != 0;
  const auto payload = bytes.subspan(kPseudoHeaderSize);
  const std::string text(payload.begin(), payload.end());
  if (auto known = peers_.find(key.id); known != peers_.end()) e.peer = known->second;

  if (kind > record_kind::kClosed || direction > 1) {
    e.kind = EventKind::Problem;
    e.text = where + " has " +
             (kind > record_kind::kClosed ? "unknown kind " + std::to_string(kind)
                                          : "unknown direction " + std::to_string(direction));
  } else if (kind == record_kind::kFrame) {
    e.kind = EventKind::Frame;
    e.frame.assign(payload.begin(), payload.end());
  } else if (kind == record_kind::kOpened) {
    e.kind = EventKind::Opened;
    e.peer = text;
    peers_[key.id] = text;
  } else {
    e.kind = EventKind::Closed;
    e.text = text;
    peers_.erase(key.id);
  }
  out.push_back(std::move(e));
}

}  // namespace kite::capture
