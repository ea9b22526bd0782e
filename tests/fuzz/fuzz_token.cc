// Fuzzes token verification and base64url. The whole input is the text: verify_token() checks it
// with the fixed signing key at the fixed time kTokenNow; base64url_decode() decodes it.
//
// Checked: a token that verifies has a device id and has not expired, and minting its claims
// again gives a token that verifies to the same claims; when the text decodes as base64url,
// encoding the bytes gives the text back (only canonical text is accepted); encoding the input
// bytes and decoding the result gives the bytes back.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_common.h"
#include "kite/protocol/base64url.h"
#include "kite/protocol/token.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kite;
  using namespace kite::fuzz;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  protocol::TokenClaims claims;
  protocol::Reason reason = protocol::verify_token(text, kTokenKey, kTokenNow, claims);
  KITE_FUZZ_CHECK(reason == protocol::Reason::None || reason == protocol::Reason::AuthFailed ||
                  reason == protocol::Reason::TokenExpired);
  if (reason == protocol::Reason::None) {
    KITE_FUZZ_CHECK(!claims.device_id.empty());
    KITE_FUZZ_CHECK(claims.expires_at_s > kTokenNow);
    std::string again = protocol::mint_token(kTokenKey, claims);
    protocol::TokenClaims reread;
    KITE_FUZZ_CHECK(protocol::verify_token(again, kTokenKey, kTokenNow, reread) ==
                    protocol::Reason::None);
    KITE_FUZZ_CHECK(reread.device_id == claims.device_id && reread.groups == claims.groups &&
                    reread.issued_at_s == claims.issued_at_s &&
                    reread.expires_at_s == claims.expires_at_s);
  }

  if (auto bytes = protocol::base64url_decode(text))
    KITE_FUZZ_CHECK(protocol::base64url_encode(*bytes) == text);

  std::string encoded = protocol::base64url_encode({data, size});
  auto decoded = protocol::base64url_decode(encoded);
  KITE_FUZZ_CHECK(decoded && std::equal(decoded->begin(), decoded->end(), data, data + size) &&
                  decoded->size() == size);
  return 0;
}
