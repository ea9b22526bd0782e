// The HMAC exchange that follows a Hello: the server's Challenge carries its nonce, the client's
// Auth its proof. Building and reading only: the proofs are computed and compared in session.cc,
// which holds the handshake's key and nonces (handshake_crypto.h has the transcript).
#pragma once

#include "body_check.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

flatbuffers::Offset<wire::Challenge> build_challenge(flatbuffers::FlatBufferBuilder& b,
                                                     const Nonce& server_nonce);
// The server's nonce, which must be exactly kNonceSize bytes.
Refusal read_challenge(const wire::Challenge& challenge, Nonce& server_nonce);

flatbuffers::Offset<wire::Auth> build_auth(flatbuffers::FlatBufferBuilder& b, const Proof& proof);

}  // namespace kite::protocol
