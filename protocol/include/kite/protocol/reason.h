// Reason codes: the one list lives in protocol/schema/kite.fbs (enum Reason); this header gives
// it a short name in the protocol namespace and a printable name for each value.
#pragma once

#include <string_view>

#include "kite/wire/kite_generated.h"

namespace kite::protocol {

using Reason = kite::wire::Reason;

// "FrameTooLarge", ... ; "Unknown" for a value outside the list (a newer peer's code).
std::string_view reason_name(Reason reason);

}  // namespace kite::protocol
