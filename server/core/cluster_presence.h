// What a node of a cluster tells the others about its devices, and asks of them. The registry
// (registry.h) reports every device that comes online or goes offline here; the dispatcher asks
// the cluster to wake the devices a stored message is for that are not connected here, and to
// carry QoS 0 messages to the node their device is on. An implementation over Redis is
// server/cluster/redis_presence.h; a single node has none.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/command_table.h"
#include "store/message_store.h"

namespace kite::server {

// A QoS 0 message for a device not connected here.
struct RemoteParcel {
  std::string_view device;
  const NewMessage* message = nullptr;
};

// One message of a send to every device, as it travels to the other nodes: owned, since it
// crosses from the node's channel thread to its admin loop.
struct EveryoneMessage {
  std::string payload, topic, content_type, key, idempotency_key;
  std::uint64_t ttl_ms = 0, fallback_after_ms = 0;
  bool fallback_cancel = false;
  std::uint8_t qos = 1;  // 0 or 1
};

class ClusterPresence {
 public:
  virtual ~ClusterPresence() = default;
  // The device's newest connection is now on this node (any thread, no lock held), its Hello
  // having arrived at `hello_ms` (wall clock). False when a live node holds a connection of the
  // device whose Hello came later: then this one must step back (registry.h). True when the
  // cluster cannot tell (Redis unreachable).
  virtual bool online_here(std::string_view device, std::int64_t hello_ms) = 0;
  // The device's connection on this node ended and no newer one here replaced it.
  virtual void offline_here(std::string_view device) = 0;
  // Stored messages wait for these devices, none connected here: the node that holds each (if
  // any) is told to have it read its queue.
  virtual void wake(std::span<const std::string_view> devices) = 0;
  // QoS 0: each parcel goes to the node its device is connected to; forwarded[i] says whether
  // parcels[i] had one (at most once: not whether it arrived).
  virtual void forward(std::span<const RemoteParcel> parcels, std::vector<bool>& forwarded) = 0;
  // A send to every device: each other live node is handed `messages` once, and sends them to
  // the devices connected to it (storing each per device at QoS 1). Returns how many nodes it
  // reached (0 when Redis refused it).
  virtual std::size_t to_everyone_elsewhere(std::span<const EveryoneMessage> messages) = 0;
  // The live node (not this one) whose connection is the device's, if any.
  virtual std::optional<std::string> holder(std::string_view device) = 0;
  // A command for a device not connected here: false if no other node holds it (the caller
  // answers Offline); else `done` runs once, on a thread of the cluster's, with the holder's
  // outcome, or TimedOut when no answer came within the command's timeout and a grace.
  virtual bool forward_command(std::string_view device, const std::string& name,
                               const std::string& payload, std::uint32_t timeout_ms,
                               CommandDone done) = 0;
};

}  // namespace kite::server
