// POST /v1/messages: one message, or a batch of up to 256, to a list of devices, a group or
// everyone online, with the outcome per message and device (docs/api.md).
//
// How it sends: through the dispatcher (core/delivery/dispatcher.h), one call per run of
// consecutive messages of the same QoS: QoS 0 encoded once each, QoS 1 stored in batches of
// 1,000 (one store write each) and carried to the online devices' workers, one task per worker
// either way. Each device gets the messages in the order given.
//
// Across the nodes of a cluster, `all` reaches every connected device: the serving node hands the
// messages once to every other live node (Router::everyone_elsewhere: one PUBLISH), then sends
// to its own devices; each other node sends them to the devices connected to it, as a call of
// its own (storing per device at QoS 1) that answers nobody. The answer counts the serving
// node's devices only, and says how many other nodes took the send ("nodes_reached").
//
// A slice at a time: a call sends to the devices of one slice (about kSliceDeliveries messages x
// devices) in the admin-loop turn it arrives in, and when there are more, one slice per later
// turn, taking turns with the other calls under way; it answers when the last slice is sent. A
// send to a million devices so never holds the admin loop for more than a slice, whatever the
// number of such calls (security review L11).
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>

#include "api/api_helpers.h"
#include "api/bulk_request.h"
#include "api/bulk_targets.h"
#include "api/loop_inbox.h"
#include "core/server.h"
#include "http/responder.h"

namespace kite::server {

class BulkSendJob;

class BulkSends {
 public:
  // Messages x devices sent per admin-loop turn, at most (one device's messages are never split).
  static constexpr std::size_t kSliceDeliveries = 4'096;
  // Calls of more than one slice under way at once: each holds its messages and answer, so more
  // are refused (429, Retry-After) until one ends; a call of one slice is always served.
  static constexpr std::size_t kMaxCallsInProgress = 4;

  // `inbox` schedules the later slices; calls still under way when it closes (kited stopping)
  // end there: their devices keep what was sent, their clients get no answer.
  BulkSends(Server& server, LoopInbox& inbox, AdminApiOptions options);
  ~BulkSends();
  BulkSends(const BulkSends&) = delete;
  BulkSends& operator=(const BulkSends&) = delete;

  void handle(const http::HttpRequest& request, const http::Responder& responder);

 private:
  void start(api::BulkRequest bulk, api::BulkTargets targets, const http::Responder& responder,
             std::optional<std::size_t> nodes_reached);
  void send_next_slice();

  Server& server_;
  LoopInbox& inbox_;
  AdminApiOptions options_;
  std::deque<std::unique_ptr<BulkSendJob>> waiting_;  // calls with slices left, in turn order
};

}  // namespace kite::server
