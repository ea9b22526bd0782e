#include "core/service_role.h"

#include "common/log.h"
#include "core/byte_views.h"
#include "core/connection.h"
#include "core/delivery/dispatcher.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;

ServiceRole::ServiceRole(Connection& connection)
    : connection_(connection), worker_(connection.worker()) {}

// Listed under its name beside the service's other connections; its welcome carries no queue.
bool ServiceRole::welcome(std::vector<std::string>, protocol::WelcomeParams&) {
  worker_.context().services->add(connection_.device_id(), connection_.route(wall_clock_ms()));
  return true;
}

void ServiceRole::on_open(const protocol::OpenInfo& info) {
  worker_.metrics().services_open.add();
  KITE_LOG(info, "service.online",
           {{"device", connection_.device_id()},
            {"ip", connection_.ip().text()},
            {"resumed", info.resumed},
            {"worker", worker_.index()}});
}

void ServiceRole::on_close(const protocol::CloseInfo&, bool was_open) {
  if (was_open) worker_.metrics().services_open.sub();
  worker_.context().services->remove(connection_.device_id(), connection_.route(0));
}

// Gathered for the end of the read (service_ingest.h): stored in one write, then acknowledged.
// Charged in on_frame() like any frame: that is, not at all.
void ServiceRole::on_message(const protocol::IncomingMessage& message) {
  auto& ingest = worker_.service_ingest();
  auto& session = connection_.session();
  if (message.target.empty()) {
    session.send_error(Reason::NotFound, message.seq, "publish without a target device",
                       connection_.now());
    return ingest.add_answered(message.seq);
  }
  if (message.qos == protocol::Qos::AtMostOnce) {
    // Sent now, not at the end of the read: QoS 0 is never stored, so nothing orders it after
    // the QoS 1 messages of the read. Dropped (and counted) when the device is offline or its
    // worker's inbox is full (transient_budget.h).
    const NewMessage transient{
        as_text(message.payload), message.topic, message.content_type, {}, {}, 0};
    const Parcel parcel{0, 0};
    static thread_local std::vector<Outcome> outcome;
    worker_.context().delivery->send({&transient, 1}, {&message.target, 1}, {&parcel, 1},
                                     protocol::Qos::AtMostOnce, outcome);
    if (!outcome[0].sent) worker_.metrics().dropped_qos0.add();
    return ingest.add_answered(message.seq);
  }
  ingest.add_stored(message);
}

void ServiceRole::after_read() {
  const bool was_holding = !held_.empty();
  worker_.service_ingest().commit(connection_.session(), held_, connection_.now());
  if (!was_holding && !held_.empty()) worker_.watch_held(connection_);
}

bool ServiceRole::release_held() {
  const bool holding =
      held_.release(*worker_.context().store, connection_.session(), connection_.now());
  connection_.after_session_call();
  return holding;
}

void ServiceRole::on_subscribe(std::uint64_t request_id, bool, std::span<const std::string_view>) {
  connection_.session().send_error(Reason::UnexpectedMessage, request_id,
                                   "services do not join groups", connection_.now());
  connection_.after_session_call();
}

// A service is never routed device traffic; a QoS 0 send that reaches it anyway is dropped.
void ServiceRole::send_shared(const protocol::SharedPublish&) {
  worker_.metrics().dropped_qos0.add();
}

}  // namespace kite::server
