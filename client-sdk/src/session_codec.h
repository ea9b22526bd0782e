// The bytes of a file-backed session (ClientOptions::session_file): what a device must remember
// across a reboot to resume where it stopped. Pure encoding, no I/O (session_file.h writes it).
//
// Layout, little-endian:
//   "KSES" u16 version(1) u16 reserved(0) u32 body_length  body  16-byte BLAKE2b of the body
//   body: str device_id, u64 written_at (Unix ms), u64 store_epoch, str resume_token,
//         u64 last_received_seq, u64 next_uplink_seq, u32 entry count, entries
//   entry: u8 flags (bit 0: QoS 1), u64 seq (0: not sent yet), u32 ttl_ms, u32 age_ms,
//          str topic, str content_type, str payload
//   str: u32 length, bytes
// The digest catches what an atomic rename cannot: a file damaged on the medium, or one written
// by hand. Any doubt refuses the whole file: a wrong seq would lose or repeat messages.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kite::sdk {

struct SavedEntry {
  bool at_least_once = true;
  std::uint64_t seq = 0;
  std::uint32_t ttl_ms = 0;
  std::uint32_t age_ms = 0;  // how long it had waited when the file was written (written_at)
  std::string topic;
  std::string content_type;
  std::string payload;
};

struct SavedSession {
  std::string device_id;
  // The wall clock when written: the time-to-live of queued messages counts the time the device
  // was off too (the steady clock starts again at a reboot).
  std::uint64_t written_at_unix_ms = 0;
  std::uint64_t store_epoch = 0;
  std::string resume_token;
  std::uint64_t last_received_seq = 0;
  std::uint64_t next_uplink_seq = 1;
  std::vector<SavedEntry> entries;
};

// Every entry bounded by the SDK's own limits (a session file is never bigger than the queue).
inline constexpr std::size_t kMaxSessionFile = 64u << 20;

std::vector<std::uint8_t> encode_session(const SavedSession& session);
// The header and the digest around a body (what encode_session() does after the body): for the
// fuzz target, which must reach the body's parser past the digest.
std::vector<std::uint8_t> seal_session_body(std::span<const std::uint8_t> body);
// Empty on success; else what is wrong, for a message that names the file. Only what
// encode_session() writes is accepted (no unknown flags or reserved bits).
std::string decode_session(std::span<const std::uint8_t> bytes, SavedSession& out);

}  // namespace kite::sdk
