// What one kited node sends another on its Redis channel (redis_presence.h), besides the
// one-letter wake-up and takeover notices:
//
//   'q' count:u16 device:s16 x count topic:s16 content-type:s16 payload
//                                                    a QoS 0 message for devices of that node
//   'w' device (0 device)...                         wake-ups: these devices' queues got messages
//   'g' member:u8 origin:s16 group:s16 device        a membership change (on the groups channel)
//   'c' id:u64 timeout_ms:u32 origin:s16 device:s16 name:s16 payload    a command to run
//   'a' id:u64 kind:u8 status:u16 detail:s16 payload            the outcome of that command
//   'e' origin:s16 count:u16 message x count       a send to every device (on the "all" channel)
//       message: qos:u8 ttl_ms:u64 fallback_after_ms:u64 fallback_cancel:u8 topic:s16
//                content-type:s16 key:s16 idempotency-key:s16 payload:s32
//
// s16 is a u16 length and that many bytes (s32: a u32 length); the payload is the rest. Integers
// are big-endian. A message or a wake-up for several devices of one node travels once (a group send
// reaches each node once). Decoders refuse anything truncated, a kind out of range or an empty
// device or origin: the channel is Kite's own, but a parser never trusts its input
// (fuzz_cluster_message feeds them).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/cluster_presence.h"

namespace kite::server::cluster {

struct ForwardedMessage {
  std::vector<std::string_view> devices;  // 1 to 65,535, none empty
  std::string_view topic, content_type, payload;
};

struct ForwardedCommand {
  std::uint64_t id = 0;  // the origin's, to match the reply
  std::uint32_t timeout_ms = 0;
  std::string_view origin, device, name, payload;  // origin: the node to reply to
};

struct CommandReply {
  static constexpr std::uint8_t kMaxKind = 5;  // CommandOutcome::Kind's last value
  std::uint64_t id = 0;
  std::uint8_t kind = 0;  // CommandOutcome::Kind
  std::uint16_t status = 0;
  std::string_view detail, payload;
};

// Each "" when a field is too long for its u16 length (protocol/limits.h keeps them far below).
std::string encode_forwarded(const ForwardedMessage& message);
std::string encode_command(const ForwardedCommand& command);
std::string encode_reply(const CommandReply& reply);
struct MembershipChange {
  std::string_view origin, group, device;  // origin: the node it was made on
  bool member = false;
};

std::string encode_membership(const MembershipChange& change);
bool decode_membership(std::string_view text, MembershipChange& change);

// A send to every device, made on node `origin`: "" when there is no message, more than 65,535,
// or a field is too long for its length.
std::string encode_everyone(std::string_view origin, std::span<const EveryoneMessage> messages);
// Copies (the messages outlive the channel's buffer); false, and the output untouched, when it
// is not one whole 'e' message with an origin and a QoS of 0 or 1.
bool decode_everyone(std::string_view text, std::string& origin,
                     std::vector<EveryoneMessage>& messages);

// "" when there is no device, or one is empty or holds a 0 byte.
std::string encode_wakeups(const std::vector<std::string_view>& devices);
// Views point into `text`; false (and the output untouched) when it is not one whole message of
// that kind.
bool decode_forwarded(std::string_view text, ForwardedMessage& message);
bool decode_command(std::string_view text, ForwardedCommand& command);
bool decode_reply(std::string_view text, CommandReply& reply);
bool decode_wakeups(std::string_view text, std::vector<std::string_view>& devices);

}  // namespace kite::server::cluster
