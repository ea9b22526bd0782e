#include "core/registry.h"

namespace kite::server {

Registry::Shard& Registry::shard(std::string_view device_id) const {
  return shards_[std::hash<std::string_view>{}(device_id) % shards_.size()];
}

std::optional<Route> Registry::claim(std::string_view device_id, const Route& route) {
  Shard& s = shard(device_id);
  std::lock_guard lock(s.mutex);
  auto it = s.routes.find(device_id);
  if (it == s.routes.end()) {
    s.routes.emplace(std::string(device_id), route);
    return std::nullopt;
  }
  Route previous = it->second;
  it->second = route;
  return previous;
}

void Registry::release(std::string_view device_id, const Route& route) {
  Shard& s = shard(device_id);
  std::lock_guard lock(s.mutex);
  auto it = s.routes.find(device_id);
  if (it != s.routes.end() && it->second == route) s.routes.erase(it);
}

std::optional<Route> Registry::find(std::string_view device_id) const {
  Shard& s = shard(device_id);
  std::lock_guard lock(s.mutex);
  auto it = s.routes.find(device_id);
  if (it == s.routes.end()) return std::nullopt;
  return it->second;
}

std::size_t Registry::online() const {
  std::size_t n = 0;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    n += s.routes.size();
  }
  return n;
}

}  // namespace kite::server
