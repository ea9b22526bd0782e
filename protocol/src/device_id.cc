#include "kite/protocol/device_id.h"

#include <algorithm>

#include "kite/protocol/limits.h"

namespace kite::protocol {
namespace {

bool alphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool allowed(char c) {
  return alphanumeric(c) || c == '.' || c == '_' || c == ':' || c == '-';
}

}  // namespace

bool valid_device_id(std::string_view id) {
  if (id.empty() || id.size() > limits::kDeviceId) return false;
  if (!alphanumeric(id.front())) return false;
  if (!std::all_of(id.begin(), id.end(), allowed)) return false;
  return id.find("..") == std::string_view::npos;
}

}  // namespace kite::protocol
