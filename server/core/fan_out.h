// Fan-out: messages for many devices at once (a device list, a group, everyone), handed to the
// worker loops with one task per worker instead of one per device.
//
// QoS 0: each message is encoded once (protocol::SharedPublish) and the frames are shared,
// read-only, by every target's connection. The online targets are grouped by the worker holding
// their connection; each worker gets ONE task with its connection ids and every frame of the
// call. A connection appends the frames to its output, which its worker writes once per loop
// turn: a burst of messages costs each member one write, not one per message.
//
// QoS 1: each member's frame carries its own seq, so nothing is shared on the wire; the stored
// messages are carried to the workers in one DeliveryBatch each (as a service's are), so that
// connections send them without reading them back from the store.
//
// Thread-safe; called by the admin API's thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "core/delivery_batch.h"
#include "core/server_context.h"
#include "kite/protocol/frame_codec.h"
#include "kite/protocol/session_types.h"

namespace kite::server {

class FanOut {
 public:
  explicit FanOut(ServerContext& context);

  // Sends `messages` (QoS 0), in order, to every target connected now. online[i] answers
  // targets[i]: true when its connection got the frames (it may still drop them, counted in
  // kite_dropped_total, if it has no room: at most once). False, sending nothing, when a message
  // cannot be encoded (a field above its limit, a body above the absolute frame limit).
  bool send_transient(std::span<const protocol::OutgoingMessage> messages,
                      std::span<const std::string> targets, std::vector<bool>& online);

  // Hands each worker its batch of stored messages (indexed by worker; emptied), one task each.
  void carry(std::vector<DeliveryBatch>& per_worker);

 private:
  ServerContext& context_;
  std::mutex encoder_mutex_;  // an encoder is for one thread at a time
  protocol::FrameEncoder encoder_;
};

}  // namespace kite::server
