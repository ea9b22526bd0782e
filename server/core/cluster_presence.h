// What a node of a cluster tells the others about its devices, and asks of them. The registry
// (registry.h) reports every device that comes online or goes offline here; the dispatcher asks
// the cluster to wake the devices a stored message is for that are not connected here. An
// implementation over Redis is server/cluster/redis_presence.h; a single node has none.
#pragma once

#include <span>
#include <string_view>

namespace kite::server {

class ClusterPresence {
 public:
  virtual ~ClusterPresence() = default;
  // The device's newest connection is now on this node (any thread, no lock held).
  virtual void online_here(std::string_view device) = 0;
  // The device's connection on this node ended and no newer one here replaced it.
  virtual void offline_here(std::string_view device) = 0;
  // Stored messages wait for these devices, none connected here: the node that holds each (if
  // any) is told to have it read its queue.
  virtual void wake(std::span<const std::string_view> devices) = 0;
};

}  // namespace kite::server
