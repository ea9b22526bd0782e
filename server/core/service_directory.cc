// Service connections by name; see service_directory.h.
#include "core/service_directory.h"

namespace kite::server {

void ServiceDirectory::add(std::string_view id, const Route& route) {
  std::lock_guard lock(mutex_);
  routes_.emplace(std::string(id), route);
}

void ServiceDirectory::remove(std::string_view id, const Route& route) {
  std::lock_guard lock(mutex_);
  auto [first, last] = routes_.equal_range(std::string(id));
  for (auto it = first; it != last; ++it) {
    if (it->second == route) {
      routes_.erase(it);
      return;
    }
  }
}

std::vector<Route> ServiceDirectory::find(std::string_view id) const {
  std::lock_guard lock(mutex_);
  std::vector<Route> found;
  auto [first, last] = routes_.equal_range(std::string(id));
  for (auto it = first; it != last; ++it) found.push_back(it->second);
  return found;
}

std::size_t ServiceDirectory::size() const {
  std::lock_guard lock(mutex_);
  return routes_.size();
}

}  // namespace kite::server
