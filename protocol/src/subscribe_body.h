// Subscribe and Unsubscribe: a device's request to join or leave groups, which the server answers
// by echoing it (or refuses with an Error); the server also sends Subscribe on its own to announce
// the groups a Welcome had no room for. Built by the sender, checked and read by the receiver,
// with one rule for group names both ways.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "body_check.h"
#include "kite/protocol/limits.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

using GroupNames = flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>;

// A checked request, as read. Its names point into the frame.
struct GroupRequest {
  std::uint64_t request_id = 0;
  std::array<std::string_view, limits::kGroupsPerRequest> names;
  std::size_t count = 0;
  std::span<const std::string_view> groups() const { return {names.data(), count}; }
};

// Whether a request may be sent: ids start at 1, at most kGroupsPerRequest names, each valid.
bool group_request_fits(std::uint64_t request_id, std::span<const std::string> groups);
// The names vector of a Subscribe or Unsubscribe (the caller creates the table it goes in).
flatbuffers::Offset<GroupNames> build_group_names(flatbuffers::FlatBufferBuilder& b,
                                                  std::span<const std::string> groups);

// The same rules on arrival: id 0 (InvalidId), too many names, then a name that is empty, too
// long or holds a control character.
Refusal read_group_request(std::uint64_t request_id, const GroupNames* groups, GroupRequest& out);

}  // namespace kite::protocol
