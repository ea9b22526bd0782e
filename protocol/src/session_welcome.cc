// Session, the server's Welcome and the group announcements that may follow it.
//
// Rules it keeps:
//  - A Welcome never exceeds what the client decodes during the handshake: min(its max_frame,
//    limits::kHandshakeMaxBody) bytes before compression. The size is measured on the encoded
//    frame, not estimated: an estimate only picks where to start.
//  - The Welcome lists as many of the device's groups as fit and says how many there are in all
//    (groups_total); the others follow at once, before anything else the open session sends, as
//    Subscribe frames with request id limits::kGroupAnnouncement, up to kGroupsPerRequest each.
#include <algorithm>
#include <span>

#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/session.h"

namespace kite::protocol {
namespace {

// Room left for a Welcome's fields other than groups, and for the Frame around it: resume token
// (64), server proof (32), scalars, vtables and alignment come to well under this.
constexpr std::size_t kWelcomeReserve = 512;

// A FlatBuffers string costs its length prefix, bytes and NUL, padded to 4, plus its offset in
// the vector.
std::size_t listed_cost(const std::string& group) {
  return 4 + ((4 + group.size() + 1 + 3) & ~std::size_t{3});
}

std::size_t groups_that_fit(std::span<const std::string> groups, std::size_t budget) {
  std::size_t used = 4, count = 0;  // the vector's length
  for (const auto& group : groups) {
    used += listed_cost(group);
    if (used > budget) break;
    ++count;
  }
  return count;
}

}  // namespace

std::size_t Session::emit_welcome(const WelcomeParams& welcome, std::uint32_t keepalive,
                                  std::uint16_t dictionary) {
  const std::size_t limit = std::min<std::size_t>(peer_max_frame_, limits::kHandshakeMaxBody);
  const std::span<const std::string> all(welcome.groups);
  std::size_t listed = std::min(all.size(), limits::kGroupsPerDevice);
  listed = std::min(listed, groups_that_fit(all, limit - kWelcomeReserve));
  auto& encoder = context_.encoder();
  encoder.compression().dictionary = dictionary_;  // the context is shared: set it every time
  while (true) {
    auto& b = encoder.start();
    auto resume_token = welcome.resume_token.empty() ? 0
                                                     : b.CreateVector(welcome.resume_token.data(),
                                                                      welcome.resume_token.size());
    flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> proof = 0;
    if (method_ == AuthMethod::Hmac) {
      Proof p = server_proof(handshake_->key, device_id_, handshake_->client_nonce,
                             handshake_->server_nonce);
      proof = b.CreateVector(p.data(), p.size());
    }
    std::vector<flatbuffers::Offset<flatbuffers::String>> names;
    names.reserve(listed);
    for (std::size_t i = 0; i < listed; ++i) names.push_back(b.CreateString(all[i]));
    auto groups = listed == 0 ? 0 : b.CreateVector(names);
    auto message = wire::CreateWelcome(b, welcome.resumed, resume_token, welcome.store_epoch,
                                       welcome.last_received_seq, welcome.next_seq, keepalive,
                                       config().max_frame, config().receive_window, dictionary,
                                       proof, groups, static_cast<std::uint32_t>(all.size()));
    if (encoder.finish(message, output_, limit) != 0) return listed;
    if (listed == 0) return kNotEmitted;
    --listed;  // the estimate was short: one fewer, measured again
  }
}

void Session::announce_groups(std::span<const std::string> groups, Millis now) {
  while (!groups.empty()) {
    auto chunk = groups.first(std::min(groups.size(), limits::kGroupsPerRequest));
    confirm_subscribe(limits::kGroupAnnouncement, true, chunk, now);
    groups = groups.subspan(chunk.size());
  }
}

}  // namespace kite::protocol
