// Which groups a device may manage itself: the pattern expansion and the refusal texts (the
// modes and their reasons are in device_group_policy.h).
#include "core/device_group_policy.h"

#include <fmt/format.h>

namespace kite::server {
namespace {

constexpr std::string_view kDeviceId = "{device_id}";
constexpr std::string_view kDevicePrefix = "{device_prefix}";

}  // namespace

std::optional<std::string> DeviceGroupPolicy::allowed_prefix(std::string_view device) const {
  std::string out;
  std::string_view rest = pattern;
  while (!rest.empty()) {
    if (rest.starts_with(kDeviceId)) {
      out += device;
      rest.remove_prefix(kDeviceId.size());
    } else if (rest.starts_with(kDevicePrefix)) {
      const auto dash = device.find('-');
      if (dash == std::string_view::npos || dash == 0) return std::nullopt;
      out += device.substr(0, dash);
      rest.remove_prefix(kDevicePrefix.size());
    } else {
      out += rest.front();
      rest.remove_prefix(1);
    }
  }
  return out;
}

std::string DeviceGroupPolicy::refusal(std::string_view device, std::string_view group) const {
  switch (mode) {
    case Mode::allow:
      return {};
    case Mode::deny:
      return "devices may not manage their groups on this server "
             "(session.device_groups = \"deny\")";
    case Mode::prefix:
      break;
  }
  const auto prefix = allowed_prefix(device);
  if (!prefix)
    return fmt::format("this device id has no prefix for session.device_group_pattern \"{}\"",
                       pattern);
  if (group.starts_with(*prefix)) return {};
  return fmt::format("this device may only manage groups starting with \"{}\"", *prefix);
}

}  // namespace kite::server
