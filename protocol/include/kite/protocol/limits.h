// Limits on everything a peer controls in a message. Each is checked by the session before the
// field is used; going over closes the connection with Reason::LimitExceeded. docs/protocol.md
// lists them with the same values.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kite::protocol::limits {

inline constexpr std::size_t kDeviceId = 128;  // bytes, at least 1, no control characters
inline constexpr std::size_t kResumeToken = 64;
inline constexpr std::size_t kAgent = 64;
inline constexpr std::size_t kDictionaries = 16;  // ids offered in a hello
inline constexpr std::size_t kTopic = 256;
inline constexpr std::size_t kContentType = 64;
inline constexpr std::size_t kConflationKey = 128;
inline constexpr std::size_t kMessageId = 128;
inline constexpr std::size_t kCommandName = 64;
inline constexpr std::size_t kGroupName = 128;
inline constexpr std::size_t kGroupsPerRequest = 32;
inline constexpr std::size_t kGroupsPerDevice = 256;  // groups a welcome may list
// The request id of the Subscribe frames a server sends on its own right after a Welcome, with
// the groups the Welcome had no room for (a device's id for its own requests never gets there).
inline constexpr std::uint64_t kGroupAnnouncement = ~std::uint64_t{0};
inline constexpr std::size_t kErrorMessage = 256;
// Sequence numbers stay below 2^63: no arithmetic on a peer's seq can wrap.
inline constexpr std::uint64_t kMaxSeq = (std::uint64_t{1} << 63) - 1;
inline constexpr std::uint32_t kMaxCredit = 1u << 16;  // outstanding credit one peer may hold
inline constexpr std::uint32_t kDefaultCredit = 64;    // for a peer that announced 0
// Frames before the handshake completes are small: hello with a token is the largest.
inline constexpr std::uint32_t kHandshakeMaxBody = 8u << 10;

}  // namespace kite::protocol::limits
