// DeviceRole from welcome to close: the registry route, resume, the token's groups, and what
// opening and ending a device's session set in motion.
#include "core/device_role.h"

#include <algorithm>

#include "common/log.h"
#include "core/connection.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;
using protocol::reason_name;

DeviceRole::DeviceRole(Connection& connection, const ResumeClaim& resume)
    : connection_(connection),
      resume_last_received_(resume.last_received),
      resume_valid_(resume.valid) {}

Worker& DeviceRole::worker_of() const {
  return connection_.worker();
}

const std::string& DeviceRole::device() const {
  return connection_.device_id();
}

bool DeviceRole::welcome(std::vector<std::string> groups, protocol::WelcomeParams& params) {
  auto& context = worker_of().context();
  auto& store = *context.store;
  if (!claim_route()) return false;
  // A token's groups hold for this session only (never stored): a later token without one
  // does not keep it. The welcome lists every group the device is in.
  for (const auto& group : groups)
    context.groups->join_for_session(group, device(), connection_.id());
  params.groups = context.groups->groups_of(device());
  QueueInfo queue = store.info(device());
  params.resumed = resume_valid_;
  params.resume_token =
      context.auth->resume_tokens().issue(device(), params.store_epoch, wall_clock_ms());
  params.next_seq = queue.next_seq;
  params.last_received_seq = queue.uplink_last_received;
  last_stored_sent_ = queue.acked_through;
  if (params.resumed && resume_last_received_ > queue.acked_through) {
    // The device already holds these: they count as acknowledged.
    last_stored_sent_ = std::min(resume_last_received_, queue.next_seq - 1);
    store.ack(device(), last_stored_sent_);
  }
  return true;
}

// One route per device: the connection it displaces is told to go. False when a connection of
// the device whose Hello came later holds it (registry.h).
bool DeviceRole::claim_route() {
  auto& context = worker_of().context();
  const Claim claim = context.registry->claim(device(), connection_.route(connection_.hello_ms()));
  if (claim.displaced) {
    auto old_connection = claim.displaced->connection;
    context.workers[claim.displaced->worker]->post([old_connection](Worker& w) {
      if (Connection* old = w.find(old_connection))
        old->kick(Reason::Replaced, 0, "a newer connection for this device took over");
    });
  }
  return !claim.superseded;
}

void DeviceRole::on_open(const protocol::OpenInfo& info) {
  worker_of().metrics().devices_open.add();
  worker_of().context().frame_limits->remember(device(), connection_.session().peer_max_frame());
  if (worker_of().records(events::EventType::Connect))
    worker_of().events().connect(device(), wall_clock_ms(), connection_.ip().text(), info.resumed);
  KITE_LOG(info, "device.online",
           {{"device", device()},
            {"ip", connection_.ip().text()},
            {"resumed", info.resumed},
            {"worker", worker_of().index()}});
  backlog_ = true;
  pump();
}

void DeviceRole::on_close(const protocol::CloseInfo& info, bool was_open) {
  auto& context = worker_of().context();
  if (was_open) {
    if (worker_of().records(events::EventType::Disconnect))
      worker_of().events().disconnect(device(), wall_clock_ms(), reason_name(info.reason),
                                      info.by_peer);
    worker_of().metrics().devices_open.sub();
  }
  context.registry->release(device(), connection_.route(0));
  context.groups->end_session(device(), connection_.id());  // its token's groups
}

}  // namespace kite::server
