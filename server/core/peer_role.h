// What a connection's peer does with its open session: a device (device_role.h) keeps a queue
// the store feeds, publishes uplink and joins groups; a service ("service:NAME", service_role.h)
// is a backend that publishes to devices and takes no downlink. The role is chosen once, when
// the hello is accepted (Connection::welcome), instead of a flag every event would test.
//
// The Connection keeps the socket, the session, TLS and the recorder, and hands the role the
// session's events past the handshake; the role reaches back only through the connection's
// "for its role" calls (connection.h).
//
// Rules every role keeps:
//  - welcome() claims the route its peer is reached by, and on_close() releases it
//    (connection_lifecycle.h: held from Welcoming to the session's end);
//  - the open gauge of its kind is added in on_open() and taken back in on_close() when
//    `was_open`;
//  - a call into the session made outside a session event (a delivery, the end of a store
//    write) is followed by Connection::after_session_call(); within an event the connection
//    does it once the read is handled.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/delivery/delivery_batch.h"
#include "core/handshake_policy.h"
#include "kite/protocol/session_types.h"
#include "kite/protocol/shared_publish.h"

namespace kite::server {

class Connection;

class PeerRole {
 public:
  virtual ~PeerRole() = default;

  // --- the handshake's end and the session's ---------------------------------------------------
  // Claims the route and fills what the welcome tells the peer (`groups`: its token's groups).
  // False, with nothing claimed, when a newer connection holds the route (the hello is refused).
  virtual bool welcome(std::vector<std::string> groups, protocol::WelcomeParams& params) = 0;
  virtual void on_open(const protocol::OpenInfo& info) = 0;
  // The session ended: releases the route, and the open gauge if `was_open`.
  virtual void on_close(const protocol::CloseInfo& info, bool was_open) = 0;

  // --- session events past the handshake ------------------------------------------------------
  virtual void on_frame(wire::Message type, std::size_t body_bytes) = 0;
  virtual void on_message(const protocol::IncomingMessage& message) = 0;
  virtual void on_acked(std::uint64_t seq) = 0;
  virtual void on_subscribe(std::uint64_t request_id, bool join,
                            std::span<const std::string_view> groups) = 0;
  // The end of one read from the socket: what the read gathered is handled now.
  virtual void after_read() = 0;

  // --- downlink --------------------------------------------------------------------------------
  // There may be room again: credit came back, or the write queue went below the high-water mark.
  virtual void on_room() = 0;
  virtual void deliver(const Delivery& delivery) = 0;
  virtual void send_shared(const protocol::SharedPublish& publish) = 0;
  // The worker's store write of this turn is done (or failed), with the uplink seq it held.
  virtual void after_uplink_write(bool written) = 0;
  // Sends the acks the store's writes now allow (held_acks.h); true while some are still held.
  virtual bool release_held() { return false; }
};

// The role `id` names: a ServiceRole for "service:NAME", else a DeviceRole with what its hello
// asked to resume.
std::unique_ptr<PeerRole> choose_role(Connection& connection, std::string_view id,
                                      const ResumeClaim& resume);

}  // namespace kite::server
