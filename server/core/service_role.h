// A service's side of an open session (peer_role.h): a backend ("service:NAME") that publishes
// to devices on the binary protocol.
//
// Rules it keeps:
//  - it is listed in the service directory (any number of connections per name) from its welcome
//    to its session's end;
//  - what it publishes in one read is stored with one write at the end of the read and then
//    acknowledged (service_ingest.h), under write-behind once that write is done; QoS 0 goes out
//    at once;
//  - it has no queue, no groups and no uplink bucket: downlink and group requests are not for it,
//    and its frames cost nothing (uplink_cost.h).
#pragma once

#include "core/held_acks.h"
#include "core/peer_role.h"

namespace kite::server {

class Worker;

class ServiceRole final : public PeerRole {
 public:
  explicit ServiceRole(Connection& connection);

  bool welcome(std::vector<std::string> groups, protocol::WelcomeParams& params) override;
  void on_open(const protocol::OpenInfo& info) override;
  void on_close(const protocol::CloseInfo& info, bool was_open) override;

  void on_frame(wire::Message, std::size_t) override {}  // services pay nothing
  void on_message(const protocol::IncomingMessage& message) override;
  void on_acked(std::uint64_t) override {}  // it is sent nothing that needs an ack
  void on_subscribe(std::uint64_t request_id, bool join,
                    std::span<const std::string_view> groups) override;
  void after_read() override;

  void on_room() override {}
  void deliver(const Delivery&) override {}  // no queue: the registry never routes to it
  void send_shared(const protocol::SharedPublish& publish) override;
  void after_uplink_write(bool) override {}  // it queues no uplink seq
  bool release_held() override;

 private:
  Connection& connection_;
  Worker& worker_;
  HeldAcks held_;  // acks of reads the store has not written yet (service_ingest.h)
};

}  // namespace kite::server
