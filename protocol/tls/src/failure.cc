#include "kite/tls/failure.h"

namespace kite::tls {

std::string_view failure_name(Failure failure) {
  switch (failure) {
#define KITE_TLS_FAILURE_NAME(name, text) \
  case Failure::name:                     \
    return text;
    KITE_TLS_FAILURES(KITE_TLS_FAILURE_NAME)
#undef KITE_TLS_FAILURE_NAME
  }
  return "unknown";
}

}  // namespace kite::tls
