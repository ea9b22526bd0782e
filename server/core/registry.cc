#include "core/registry.h"

#include <algorithm>

namespace kite::server {

Registry::Shard& Registry::shard(std::string_view device_id) const {
  return shards_[std::hash<std::string_view>{}(device_id) % shards_.size()];
}

// The cluster hears of it after the shard's lock is released: its calls may wait on the network.
// Equal Hello times (the same millisecond) go to the later claim.
Claim Registry::claim(std::string_view device_id, const Route& route) {
  Claim claim;
  Shard& s = shard(device_id);
  {
    std::lock_guard lock(s.mutex);
    auto it = s.routes.find(device_id);
    if (it == s.routes.end()) {
      s.routes.emplace(std::string(device_id), route);
    } else if (it->second.since_ms > route.since_ms) {
      claim.superseded = true;
      return claim;
    } else {
      claim.displaced = it->second;
      it->second = route;
    }
  }
  if (cluster_ && !cluster_->online_here(device_id, route.since_ms)) {
    // A newer connection on another node: this one steps back. The one it displaced here is
    // older still, and goes too.
    std::lock_guard lock(s.mutex);
    if (auto it = s.routes.find(device_id); it != s.routes.end() && it->second == route)
      s.routes.erase(it);
    claim.superseded = true;
  }
  return claim;
}

void Registry::release(std::string_view device_id, const Route& route) {
  bool released = false;
  {
    Shard& s = shard(device_id);
    std::lock_guard lock(s.mutex);
    auto it = s.routes.find(device_id);
    if (it != s.routes.end() && it->second == route) {
      s.routes.erase(it);
      released = true;
    }
  }
  if (released && cluster_) cluster_->offline_here(device_id);
}

std::optional<Route> Registry::find(std::string_view device_id) const {
  Shard& s = shard(device_id);
  std::lock_guard lock(s.mutex);
  auto it = s.routes.find(device_id);
  if (it == s.routes.end()) return std::nullopt;
  return it->second;
}

std::vector<std::pair<std::string, Route>> Registry::list(std::string_view after,
                                                          std::size_t limit) const {
  std::vector<std::pair<std::string, Route>> page;
  if (limit == 0) return page;
  for (auto& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, route] : s.routes) {
      if (id <= after) continue;
      if (page.size() == limit && id >= page.back().first) continue;
      // Kept sorted by insertion: at most `limit` entries, the smallest ids seen so far.
      auto at = std::lower_bound(
          page.begin(), page.end(), id,
          [](const auto& entry, const std::string& key) { return entry.first < key; });
      page.emplace(at, id, route);
      if (page.size() > limit) page.pop_back();
    }
  }
  return page;
}

void Registry::append_part(std::size_t part, std::vector<std::string>& ids) const {
  Shard& s = shards_.at(part);
  std::lock_guard lock(s.mutex);
  ids.reserve(ids.size() + s.routes.size());
  for (const auto& entry : s.routes) ids.push_back(entry.first);
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
