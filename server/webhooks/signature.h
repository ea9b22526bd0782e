// The signature of a webhook request, so a receiver knows kited sent it and it was not altered
// or replayed long after (docs/webhooks.md):
//
//   Kite-Timestamp: 1767225600
//   Kite-Signature: v1=<hex HMAC-SHA256(secret, "1767225600" + "." + body)>
//
// The timestamp is signed with the body: a receiver that rejects old timestamps (say, older
// than 5 minutes) cannot be fed a captured request again later. "v1=" names the scheme, so
// another can be added beside it.
#pragma once

#include <string>
#include <string_view>

namespace kite::server::webhooks {

// "v1=" and 64 lowercase hex digits.
std::string sign(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace kite::server::webhooks
