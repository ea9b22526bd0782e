#include "kite/protocol/reason.h"

namespace kite::protocol {

std::string_view reason_name(Reason reason) {
  const char* name = kite::wire::EnumNameReason(reason);
  return (name && *name) ? std::string_view(name) : std::string_view("Unknown");
}

}  // namespace kite::protocol
