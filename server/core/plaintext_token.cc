#include "core/plaintext_token.h"

#include "common/log.h"
#include "common/log_limiter.h"

namespace kite::server {

bool admit_plaintext_token(bool allowed, std::string_view device, std::string_view ip) {
  if (!allowed) return false;
  static log::Limiter limiter(20, 1000);
  if (auto suppressed = limiter.admit())
    KITE_LOG(warn, "auth.token_over_plaintext",
             {{"device", device},
              {"ip", ip},
              {"detail", "a bearer token crossed the network unencrypted; use the TLS listener"},
              {"suppressed", *suppressed}});
  return true;
}

}  // namespace kite::server
