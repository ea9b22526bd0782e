// The two messages that carry a Reason and a text: Error (the end of a session, or with a `ref`
// the refusal of one request) and Goaway (the server's end, with a hint on when to come back).
// Their text is clipped to limits::kErrorMessage both ways: what a peer writes there cannot make
// us send, log or hand the app more.
#pragma once

#include <cstdint>
#include <string_view>

#include "kite/protocol/session_types.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

flatbuffers::Offset<wire::Error> build_error(flatbuffers::FlatBufferBuilder& b, Reason reason,
                                             std::string_view message, std::uint64_t ref);
flatbuffers::Offset<wire::Goaway> build_goaway(flatbuffers::FlatBufferBuilder& b, Reason reason,
                                               std::uint32_t reconnect_after_ms,
                                               std::string_view message);

// A received Error. Views point into the frame.
struct ErrorBody {
  Reason reason;
  std::uint64_t ref;  // 0: about the session, which ends; else the seq or id of one request
  std::string_view message;
};
ErrorBody read_error(const wire::Error& error);
// A received Goaway, as the close it announces (by the peer).
CloseInfo read_goaway(const wire::Goaway& goaway);

}  // namespace kite::protocol
