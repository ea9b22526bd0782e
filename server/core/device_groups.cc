// DeviceRole, groups a device joins or leaves itself (Subscribe / Unsubscribe): confirmed by an
// echo, or refused with an error naming the request; groups before a refused one stay joined.
// Each group named costs one uplink token (a store write each): a device flooding group changes
// is paused like one flooding publishes. The policy (device_group_policy.h) is checked for every
// group before any is applied.
#include <algorithm>

#include "core/connection.h"
#include "core/device_role.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;

void DeviceRole::refuse_request(std::uint64_t request_id, Reason reason, std::string_view why) {
  connection_.session().send_error(reason, request_id, why, connection_.now());
  connection_.after_session_call();
}

void DeviceRole::on_subscribe(std::uint64_t request_id, bool join,
                              std::span<const std::string_view> groups) {
  connection_.charge_uplink(static_cast<std::uint32_t>(std::max<std::size_t>(groups.size(), 1)));
  const auto& policy = worker_of().context().options.device_groups;
  for (std::string_view group : groups)
    if (auto why = policy.refusal(device(), group); !why.empty())
      return refuse_request(request_id, Reason::UnexpectedMessage, why);
  auto& directory = *worker_of().context().groups;
  std::vector<std::string> done;
  for (std::string_view group : groups) {
    if (!join) {
      directory.leave(group, device());
      done.emplace_back(group);
      continue;
    }
    using Result = GroupDirectory::JoinResult;
    switch (directory.join(group, device())) {
      case Result::Joined:
      case Result::AlreadyMember:
        done.emplace_back(group);
        continue;
      case Result::InvalidName:
        return refuse_request(request_id, Reason::LimitExceeded,
                              "a group name is 1-128 bytes without control characters or '/'");
      case Result::DeviceLimit:
        return refuse_request(request_id, Reason::LimitExceeded,
                              "a device is in at most 256 groups");
      case Result::GroupLimit:
        return refuse_request(request_id, Reason::LimitExceeded, "the group is full");
    }
  }
  connection_.session().confirm_subscribe(request_id, join, done, connection_.now());
  connection_.after_session_call();
}

}  // namespace kite::server
