// Which worker and connection hold each service's connections ("service:NAME": a backend on the
// binary protocol). Unlike devices, a service may hold several connections at once (replicas of
// one backend), and none replaces another; they are listed here so that revoking or re-keying a
// service, or an operator's kick, can reach every one of them.
//
// Thread-safe: one mutex, held for a map operation. Services are few (a handful of backends),
// and they come and go rarely, so one lock is enough.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/registry.h"

namespace kite::server {

class ServiceDirectory {
 public:
  // `id` is the full "service:NAME".
  void add(std::string_view id, const Route& route);
  void remove(std::string_view id, const Route& route);
  std::vector<Route> find(std::string_view id) const;
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_multimap<std::string, Route> routes_;
};

}  // namespace kite::server
