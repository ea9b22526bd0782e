#include "error_body.h"

#include "fb_views.h"
#include "kite/protocol/limits.h"

namespace kite::protocol {
namespace {

std::string_view clip(std::string_view message) {
  return message.substr(0, limits::kErrorMessage);
}

}  // namespace

flatbuffers::Offset<wire::Error> build_error(flatbuffers::FlatBufferBuilder& b, Reason reason,
                                             std::string_view message, std::uint64_t ref) {
  return wire::CreateError(b, reason, string_or_null(b, clip(message)), ref);
}

flatbuffers::Offset<wire::Goaway> build_goaway(flatbuffers::FlatBufferBuilder& b, Reason reason,
                                               std::uint32_t reconnect_after_ms,
                                               std::string_view message) {
  return wire::CreateGoaway(b, reason, reconnect_after_ms, string_or_null(b, clip(message)));
}

ErrorBody read_error(const wire::Error& error) {
  return {error.reason(), error.ref(), clip(view(error.message()))};
}

CloseInfo read_goaway(const wire::Goaway& goaway) {
  return {goaway.reason(), true, goaway.reconnect_after_ms(), clip(view(goaway.message()))};
}

}  // namespace kite::protocol
