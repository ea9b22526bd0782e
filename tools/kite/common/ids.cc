#include "common/ids.h"

#include "kite/protocol/device_id.h"
#include "kite/protocol/limits.h"

namespace kite::cli {
namespace {

bool has_control_character(const std::string& text) {
  for (char c : text)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  return false;
}

}  // namespace

std::string device_id_problem(const std::string& id, bool allow_service) {
  if (!protocol::valid_device_id(id))
    return "invalid device id \"" + id + "\": " + std::string(protocol::kDeviceIdRule);
  if (!allow_service && id.starts_with("service:"))
    return "\"" + id + "\" is a service id: services have their own keys, not derived ones";
  return {};
}

std::string group_problem(const std::string& group) {
  if (group.empty() || group.size() > protocol::limits::kGroupName ||
      has_control_character(group) || group.find('/') != std::string::npos)
    return "invalid group \"" + group + "\": 1-128 bytes without control characters or '/'";
  return {};
}

}  // namespace kite::cli
