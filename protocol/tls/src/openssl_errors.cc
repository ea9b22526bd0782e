#include "openssl_errors.h"

#include <openssl/err.h>

namespace kite::tls::detail {

std::string take_openssl_errors() {
  unsigned long oldest = ERR_get_error();
  ERR_clear_error();
  if (!oldest) return {};
  const char* reason = ERR_reason_error_string(oldest);
  return reason ? reason : "error " + std::to_string(ERR_GET_REASON(oldest));
}

}  // namespace kite::tls::detail
