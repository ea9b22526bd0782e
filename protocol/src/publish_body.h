// The Publish, the one message that carries the app's data, both ways: built the same way by a
// session (one receiver) and by SharedPublish (many receivers), so both put the same bytes on the
// wire; checked and read by the receiving session before its receive window sees the seq.
#pragma once

#include <cstdint>

#include "body_check.h"
#include "kite/protocol/session_types.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

// Whether every string field of `m` is within its protocol limit.
bool publish_fields_fit(const OutgoingMessage& m);

// Builds the Publish table of `m` with `seq` into `b` (absent strings are left out).
flatbuffers::Offset<wire::Publish> build_publish(flatbuffers::FlatBufferBuilder& b,
                                                 std::uint64_t seq, const OutgoingMessage& m);

// The refusals of a received Publish, in order: an unknown QoS, a seq out of range (QoS 1 seqs
// start at 1; QoS 0 may carry 0), a field above its limit.
Refusal check_publish(const wire::Publish& publish);

// The message for the app, delivered as `seq` (its own, or for QoS 0 the seq it arrived after).
// Views point into the frame.
IncomingMessage read_publish(const wire::Publish& publish, std::uint64_t seq);

}  // namespace kite::protocol
