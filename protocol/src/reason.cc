#include "kite/protocol/reason.h"

namespace kite::protocol {

std::string_view reason_name(Reason reason) {
  const char* name = kite::wire::EnumNameReason(reason);
  return (name && *name) ? std::string_view(name) : std::string_view("Unknown");
}

bool reconnect_allowed(Reason reason) {
  switch (reason) {
    case Reason::Replaced:
    case Reason::Revoked:
    case Reason::AuthFailed:
    case Reason::TokenExpired:
    case Reason::UnsupportedVersion:
    case Reason::InvalidDeviceId:
      return false;
    default:
      return true;
  }
}

}  // namespace kite::protocol
