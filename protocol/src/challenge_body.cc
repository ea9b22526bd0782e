#include "challenge_body.h"

#include <algorithm>

#include "fb_views.h"

namespace kite::protocol {

flatbuffers::Offset<wire::Challenge> build_challenge(flatbuffers::FlatBufferBuilder& b,
                                                     const Nonce& server_nonce) {
  return wire::CreateChallenge(b, b.CreateVector(server_nonce.data(), server_nonce.size()));
}

Refusal read_challenge(const wire::Challenge& challenge, Nonce& server_nonce) {
  auto nonce = view(challenge.server_nonce());
  if (nonce.size() != kNonceSize) return {Reason::LimitExceeded, "nonce size"};
  std::copy(nonce.begin(), nonce.end(), server_nonce.begin());
  return {};
}

flatbuffers::Offset<wire::Auth> build_auth(flatbuffers::FlatBufferBuilder& b, const Proof& proof) {
  return wire::CreateAuth(b, b.CreateVector(proof.data(), proof.size()));
}

}  // namespace kite::protocol
