// The Welcome, the frame that opens a session: built by a server, checked and read by a client.
//
// Rules the server's side keeps:
//  - A Welcome never exceeds what the client decodes during the handshake: min(its max_frame,
//    limits::kHandshakeMaxBody) bytes before compression. The size is measured on the encoded
//    frame, not estimated: an estimate only picks where to start.
//  - The Welcome lists as many of the device's groups as fit and says how many there are in all
//    (groups_total); the session sends the others at once, before anything else the open session
//    sends, as Subscribe frames with request id limits::kGroupAnnouncement, up to
//    kGroupsPerRequest each (Session::announce_groups).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "body_check.h"
#include "kite/protocol/frame_codec.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/session_types.h"

namespace kite::protocol {

// --- the server's side ------------------------------------------------------------------------

// What a Welcome says besides the app's WelcomeParams: what the session agreed and its limits.
struct WelcomeTerms {
  std::uint32_t keepalive_ms;    // the client's request, clamped to the server's range
  std::uint16_t dictionary;      // 0 = none
  std::uint32_t max_frame;       // the server's largest body
  std::uint32_t receive_window;  // the credit the server grants
  const Proof* proof;            // Hmac: the server's proof; null for other methods
  std::uint32_t peer_max_frame;  // the client's largest body (announced_max_frame)
};

// The terms a server agrees to: the keep-alive the client asked for (0: the server's own),
// clamped to [min_keepalive_ms, keepalive_ms]; the server's dictionary if the client holds it,
// else none. `proof` is left for the session to fill.
WelcomeTerms agree_terms(const SessionConfig& config, std::uint32_t requested_keepalive,
                         std::span<const std::uint16_t> client_dictionaries,
                         std::uint32_t client_max_frame);

inline constexpr std::size_t kWelcomeNotEncoded = static_cast<std::size_t>(-1);

// Appends the Welcome to `out` with `encoder` (its compression already set); returns how many of
// the groups it listed, or kWelcomeNotEncoded when it does not fit even without any.
std::size_t encode_welcome(FrameEncoder& encoder, const WelcomeParams& welcome,
                           const WelcomeTerms& terms, std::vector<std::uint8_t>& out);

// What the server's app is told on opening. Views point into `welcome`.
OpenInfo opened_info(const WelcomeParams& welcome, const WelcomeTerms& terms,
                     std::uint64_t peer_last_received);

// --- the client's side ------------------------------------------------------------------------

// The refusals of a Welcome's own fields, in order: limits, then a dictionary the client does not
// hold. The server's proof is the session's to check, against its handshake.
Refusal check_welcome(const wire::Welcome& welcome, const DictionarySet* dictionaries);
// Both sequence numbers it announces (checked once the session's receive window is set).
Refusal check_welcome_sequences(const wire::Welcome& welcome);
// What the client's app is told on opening. Views point into the frame.
OpenInfo read_welcome(const wire::Welcome& welcome);

}  // namespace kite::protocol
