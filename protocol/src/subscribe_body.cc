#include "subscribe_body.h"

#include <algorithm>
#include <vector>

#include "fb_views.h"

namespace kite::protocol {
namespace {

// The rule for a group name: 1 to kGroupName bytes, none of them a control character.
bool valid_group_name(std::string_view name) {
  if (name.empty() || name.size() > limits::kGroupName) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7f;
  });
}

}  // namespace

bool group_request_fits(std::uint64_t request_id, std::span<const std::string> groups) {
  if (request_id == 0 || groups.size() > limits::kGroupsPerRequest) return false;
  return std::all_of(groups.begin(), groups.end(),
                     [](const std::string& group) { return valid_group_name(group); });
}

flatbuffers::Offset<GroupNames> build_group_names(flatbuffers::FlatBufferBuilder& b,
                                                  std::span<const std::string> groups) {
  std::vector<flatbuffers::Offset<flatbuffers::String>> names;
  names.reserve(groups.size());
  for (const auto& group : groups) names.push_back(b.CreateString(group));
  return b.CreateVector(names);
}

Refusal read_group_request(std::uint64_t request_id, const GroupNames* groups, GroupRequest& out) {
  if (request_id == 0) return {Reason::InvalidId, "request id 0"};
  const std::size_t count = groups ? groups->size() : 0;
  if (count > out.names.size()) return {Reason::LimitExceeded, "too many groups in one request"};
  out.request_id = request_id;
  out.count = count;
  for (std::size_t i = 0; i < count; ++i) {
    out.names[i] = view(groups->Get(static_cast<flatbuffers::uoffset_t>(i)));
    if (!valid_group_name(out.names[i]))
      return {Reason::LimitExceeded, "group name must be 1-128 printable bytes"};
  }
  return {};
}

}  // namespace kite::protocol
