// Reason codes: the one list lives in protocol/schema/kite.fbs (enum Reason); this header gives
// it a short name in the protocol namespace, a printable name for each value, and what a client
// makes of one it was closed with.
#pragma once

#include <string_view>

#include "kite/wire/kite_generated.h"

namespace kite::protocol {

using Reason = kite::wire::Reason;

// "FrameTooLarge", ... ; "Unknown" for a value outside the list (a newer peer's code).
std::string_view reason_name(Reason reason);

// Whether a client should reconnect on its own after a close for `reason`: not after it was
// replaced by a newer connection, revoked, or refused for credentials that will not improve.
bool reconnect_allowed(Reason reason);

}  // namespace kite::protocol
