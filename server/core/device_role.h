// A device's side of an open session (peer_role.h): its route in the registry, its stored queue
// sent from the store or as carried (device_downlink.cc), what it publishes (device_uplink.cc)
// and the groups it joins itself (device_groups.cc).
//
// Rules it keeps:
//  - one route per device: a newer connection's welcome claims it and kicks the older one, and
//    an older one's (a handshake the device gave up) is refused with Superseded;
//  - downlink QoS 1 messages come from the durable store, read while the device has credit and
//    the socket's write queue is below the high-water mark (downlink_decision.h): a slow or
//    offline device costs disk, not memory;
//  - a QoS 1 uplink is acknowledged only once it is kept (device_uplink.cc);
//  - every frame is charged to the connection's uplink bucket before it is handled
//    (uplink_cost.h), group requests one token more per group.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/peer_role.h"
#include "core/receipt_tracker.h"

namespace kite::server {

class Worker;

class DeviceRole final : public PeerRole {
 public:
  DeviceRole(Connection& connection, const ResumeClaim& resume);

  bool welcome(std::vector<std::string> groups, protocol::WelcomeParams& params) override;
  void on_open(const protocol::OpenInfo& info) override;
  void on_close(const protocol::CloseInfo& info, bool was_open) override;

  void on_frame(wire::Message type, std::size_t body_bytes) override;
  void on_message(const protocol::IncomingMessage& message) override;
  void on_acked(std::uint64_t seq) override;
  void on_subscribe(std::uint64_t request_id, bool join,
                    std::span<const std::string_view> groups) override;
  void after_read() override {}

  void on_room() override { pump(); }
  void deliver(const Delivery& delivery) override;
  void send_shared(const protocol::SharedPublish& publish) override;
  void after_uplink_write(bool written) override;

 private:
  const std::string& device() const;
  bool claim_route();
  void pump();
  void send_stored(const Delivery& stored, std::uint64_t wall);
  void dead_letter(const Delivery& stored);
  void acknowledge_uplink(std::uint64_t seq);
  void refuse_request(std::uint64_t request_id, protocol::Reason reason, std::string_view why);

  Worker& worker_of() const;  // the connection's: not kept twice

  // Every device connection holds one of these on the heap: 72 bytes, an 80-byte malloc chunk.
  Connection& connection_;
  std::uint64_t resume_last_received_;  // what the hello asked to resume (ResumeClaim)
  std::uint64_t last_stored_sent_ = 0;  // highest store seq handed to the session
  std::uint64_t held_ack_ = 0;          // uplink seq acknowledged after this turn's store write
  ReceiptTracker receipts_;             // sent, not yet acknowledged (when receipts are recorded)
  bool resume_valid_;                   // and whether its token holds
  bool backlog_ = false;                // the store may hold more than was sent
};

}  // namespace kite::server
