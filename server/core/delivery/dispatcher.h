// The one way a message goes from whoever sends it (the admin API's single and bulk sends, a
// group or `all`, a service connection) to the devices' connections.
//
//   send(messages, devices, parcels, qos)
//     QoS 1: store every parcel (batches of kStoreBatch, one write each)  -> Outcome::stored
//     QoS 0: encode each message once (SharedPublish)                     -> nothing stored
//     look up each device's route (Router: this node's registry today, a cluster's tomorrow)
//     group what goes to connected devices by worker, and hand each worker ONE task (Lanes):
//       QoS 1: the stored messages themselves (DeliveryBatch), so no connection reads back
//              from the store what was just written to it;
//       QoS 0: the shared frames and which connection sends which.
//
// Rules it keeps:
//  - each device gets its parcels in the order given; one call's parcels of one device go to
//    its connection in one task;
//  - routes are looked up after storing, once per entry of `devices`: a device that connects
//    meanwhile reads its queue when its session opens, so a stored message is never missed,
//    only not carried;
//  - carrying is an optimisation, never the only path (delivery_batch.h). A device whose
//    message replaced or dropped others of its queue in this call is only woken and reads its
//    queue (a carried message may be gone); so is every device once a call (or a series sharing
//    one CarryAllowance) has carried kMaxCarriedBytes of payload;
//  - no I/O of its own and no libuv: the store, the router and the lanes are its seams.
//
// Thread-safe: the admin API's thread and every worker call it at once.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "core/delivery/lanes.h"
#include "core/delivery/message_status.h"
#include "core/registry.h"
#include "kite/protocol/session_types.h"
#include "store/message_store.h"

namespace kite::server {

// One message for one device: messages[message] of the call, to devices[device]. A call to many
// devices (bulk) names each device once and each parcel by index; a service's read, whose
// messages each have their own target, lists a device per parcel.
struct Parcel {
  std::uint32_t device = 0;
  std::uint32_t message = 0;
};

// What became of one parcel.
struct Outcome {
  // QoS 1: the store's answer. QoS 0: Status::Invalid when the message cannot be encoded (a
  // field above its limit, a body above the absolute frame limit), else left as is.
  EnqueueResult stored;
  bool online = false;  // the device is connected here (looked up once per call)
  bool sent = false;    // QoS 0: its connection's worker took the frame
};

// Payload bytes a call (or a series of calls, a bulk send's slices) may still carry.
struct CarryAllowance {
  std::size_t bytes_left;
};

class Dispatcher {
 public:
  static constexpr std::size_t kStoreBatch = 1'000;  // parcels per store write
  // Carrying copies each message once per connected device: past this much payload, devices
  // are only woken and read their messages from the store.
  static constexpr std::size_t kMaxCarriedBytes = 64u << 20;

  // `session` gives the compression settings and dictionaries QoS 0 frames are encoded with.
  // `statuses` (null: message status is off) learns of every stored message.
  Dispatcher(MessageStore& store, const Router& router, Lanes& lanes,
             const protocol::SessionConfig& session, MessageStatusBook* statuses = nullptr);
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Now: a QoS 1 message is durable when send() returns. Deferred: it may not be yet (the
  // store's write-behind, message_store.h); the caller waits for store.written() before saying
  // so. Either way it is carried to its device at once. `settle_group` (Deferred only): the store's
  // settle group (MessageStore::open_settle_group) the stored messages count in, or 0.
  enum class Durability : std::uint8_t { Now, Deferred };

  // Sends every parcel; outcomes[i] answers parcels[i]. All messages of one call share `qos`.
  void send(std::span<const NewMessage> messages, std::span<const std::string_view> devices,
            std::span<const Parcel> parcels, protocol::Qos qos, std::vector<Outcome>& outcomes,
            Durability durability = Durability::Now, std::uint64_t settle_group = 0);
  // The same, carrying at most what `allowance` has left (and taking from it).
  void send(std::span<const NewMessage> messages, std::span<const std::string_view> devices,
            std::span<const Parcel> parcels, protocol::Qos qos, std::vector<Outcome>& outcomes,
            CarryAllowance& allowance, Durability durability = Durability::Now,
            std::uint64_t settle_group = 0);

  // A QoS 0 message another node of the cluster forwarded here: encoded once, sent to those of
  // `devices` connected here, never forwarded again (a device that moved meanwhile misses it:
  // QoS 0 is at most once).
  // Returns how many of `devices` its connections' workers took.
  std::size_t send_forwarded(const NewMessage& message, std::span<const std::string_view> devices);

  // QoS 0 frames a worker's inbox had no room for, since start (kite_dropped_total).
  std::uint64_t refused_transient() const { return refused_transient_.load(); }

 private:
  struct Call;  // one call's inputs, and its devices' routes
  protocol::FrameEncoder& encoder();
  void look_up_routes(Call& call);
  void send_stored(Call& call, std::vector<Outcome>& outcomes, CarryAllowance& allowance,
                   Durability durability, std::uint64_t settle_group);
  // `forward`: parcels for devices not connected here go to the cluster (Router).
  void send_transient(Call& call, std::vector<Outcome>& outcomes, bool forward = true);
  void forward_elsewhere(const Call& call, std::vector<Outcome>& outcomes);
  void note_stored(const Call& call, std::span<const Outcome> outcomes, std::uint64_t now);
  void wake_elsewhere(const Call& call, std::span<const Outcome> outcomes);

  MessageStore& store_;
  const Router& router_;
  Lanes& lanes_;
  protocol::SessionConfig session_;
  MessageStatusBook* const statuses_;
  const std::uint64_t generation_;  // tells this dispatcher's per-thread encoders from others'
  std::atomic<std::uint64_t> refused_transient_{0};
};

}  // namespace kite::server
