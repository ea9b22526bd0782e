// Which worker and connection hold each online device, across all worker loops.
//
// Sharded by device id: a lookup or a claim locks one shard of 64 for a hash-map operation, never
// across I/O. The newest connection for a device wins: claim() returns the route it displaced so
// the caller can send that connection goaway "replaced"; release() only removes the route if it
// still belongs to the connection that releases it (a replaced connection closing late must not
// unregister its successor). "Newest" is by the Hello's arrival, not by the handshake's end: an
// attempt the device gave up, whose proof is read after its next attempt opened, is superseded
// instead of replacing the session the device is using (docs/protocol.md, 6.8).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/cluster_presence.h"
#include "core/peer_ip.h"

namespace kite::server {

// Every connected device has one in the registry: ordered to pack into 40 bytes.
struct Route {
  std::uint64_t connection = 0;  // unique per process, never reused
  std::int64_t since_ms = 0;     // wall clock, when the Hello of this connection arrived
  std::uint32_t worker = 0;
  bool tls = false;  // connected through the TLS listener
  PeerIp address;    // the device's IP, for presence answers
  bool operator==(const Route& o) const { return worker == o.worker && connection == o.connection; }
};

// What a claim did: the route it displaced, or nothing because a connection whose Hello came
// later holds the device (here or, in a cluster, on another node).
struct Claim {
  std::optional<Route> displaced;  // the older connection, to be sent goaway "replaced"
  bool superseded = false;         // the claimed route was not taken
};

// The routing seam: where a device is connected. Registry answers for one node; a cluster
// implementation (Redis) answers for several without the connection code changing.
class Router {
 public:
  virtual ~Router() = default;
  // Makes `route` the device's unless a newer connection holds it (see Claim).
  virtual Claim claim(std::string_view device_id, const Route& route) = 0;
  // Forgets the device's route if it is still `route`.
  virtual void release(std::string_view device_id, const Route& route) = 0;
  virtual std::optional<Route> find(std::string_view device_id) const = 0;
  virtual std::size_t online() const = 0;
  // Up to `limit` online devices whose ids sort after `after` (byte order), in that order: one
  // page of a listing that pages by the last id seen.
  virtual std::vector<std::pair<std::string, Route>> list(std::string_view after,
                                                          std::size_t limit) const = 0;
  // The online devices in parts(), for a walk spread over several turns (a send to everyone):
  // append_part(i) adds the ids of part i, in no particular order. A device online throughout
  // the walk is in exactly one part.
  virtual std::size_t parts() const = 0;
  virtual void append_part(std::size_t part, std::vector<std::string>& ids) const = 0;
  // Stored messages wait for these devices, not connected here: in a cluster, the node that
  // holds each is told to read its queue; a single node has nobody to tell.
  virtual void wake_elsewhere(std::span<const std::string_view> /*devices*/) const {}
  // QoS 0 for devices not connected here: in a cluster, sent on to the node that holds each;
  // forwarded[i] says whether parcels[i] went anywhere.
  virtual void forward_elsewhere(std::span<const RemoteParcel> parcels,
                                 std::vector<bool>& forwarded) const {
    forwarded.assign(parcels.size(), false);
  }
  // In a cluster: the other node the device is connected to, if any.
  virtual std::optional<std::string> node_elsewhere(std::string_view /*device*/) const {
    return std::nullopt;
  }
  // A send to every device: in a cluster, each other live node sends `messages` to its own
  // devices; returns how many nodes that is (a single node has none).
  virtual std::size_t everyone_elsewhere(std::span<const EveryoneMessage> /*messages*/) const {
    return 0;
  }
};

class Registry final : public Router {
 public:
  Claim claim(std::string_view device_id, const Route& route) override;
  void release(std::string_view device_id, const Route& route) override;
  std::optional<Route> find(std::string_view device_id) const override;
  std::size_t online() const override;
  // Visits every shard under its lock: O(online devices) per page, for admin use.
  std::vector<std::pair<std::string, Route>> list(std::string_view after,
                                                  std::size_t limit) const override;
  std::size_t parts() const override { return shards_.size(); }  // one per shard
  void append_part(std::size_t part, std::vector<std::string>& ids) const override;
  void wake_elsewhere(std::span<const std::string_view> devices) const override {
    if (cluster_) cluster_->wake(devices);
  }
  std::optional<std::string> node_elsewhere(std::string_view device) const override {
    return cluster_ ? cluster_->holder(device) : std::nullopt;
  }
  std::size_t everyone_elsewhere(std::span<const EveryoneMessage> messages) const override {
    return cluster_ ? cluster_->to_everyone_elsewhere(messages) : 0;
  }
  void forward_elsewhere(std::span<const RemoteParcel> parcels,
                         std::vector<bool>& forwarded) const override {
    if (cluster_)
      cluster_->forward(parcels, forwarded);
    else
      forwarded.assign(parcels.size(), false);
  }
  // A cluster node: tells `cluster` of every device that comes online or goes offline here.
  // Before any claim.
  void set_cluster(ClusterPresence* cluster) { cluster_ = cluster; }

 private:
  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, Route, StringHash, std::equal_to<>> routes;
  };
  Shard& shard(std::string_view device_id) const;

  mutable std::array<Shard, 64> shards_;
  ClusterPresence* cluster_ = nullptr;
};

}  // namespace kite::server
