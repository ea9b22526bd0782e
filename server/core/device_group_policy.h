// Which groups a device may join or leave itself (protocol Subscribe / Unsubscribe). The admin
// API and a token's groups are not subject to it: they are the backend's choice, not the device's.
//
// Modes (session.device_groups):
//  - allow: any group. Convenient in development; in production it lets a compromised device
//    read every group's broadcasts (tenants', "beta", "admins") and leave groups to dodge them.
//  - deny: none (production's default, docs/security.md).
//  - prefix: only groups whose names start with session.device_group_pattern, expanded for the
//    device: {device_id} is the whole device id, {device_prefix} the device id up to (not
//    including) its first '-'. "tenant-{device_prefix}-" lets "acme-0042" manage "tenant-acme-*"
//    and nothing else. A pattern with {device_prefix} allows nothing to a device id without '-'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kite::server {

struct DeviceGroupPolicy {
  enum class Mode : std::uint8_t { allow, deny, prefix };
  Mode mode = Mode::allow;
  std::string pattern = "{device_prefix}-";  // prefix mode only

  // The prefix `device` may manage, or nothing (prefix mode, no '-' in the id).
  std::optional<std::string> allowed_prefix(std::string_view device) const;
  // Empty if `device` may join or leave `group`; otherwise why not, for the device's Error frame.
  std::string refusal(std::string_view device, std::string_view group) const;
};

}  // namespace kite::server
