// Connection, the handshake: a hello checked against revocations, certificates and credentials,
// the welcome that opens the session, and what opening it sets in motion.
#include "core/connection.h"

#include <algorithm>

#include "common/log.h"
#include "core/byte_views.h"
#include "core/plaintext_token.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;
using protocol::reason_name;

void Connection::on_hello(const protocol::HelloInfo& hello) {
  auto& context = worker_.context();
  std::string_view id = hello.device_id;
  if (recorder_) record_identified(id);  // refused hellos of a chosen device are recorded too
  if (context.auth->revoked(id)) return refuse(Reason::Revoked, "this device has been revoked");
  service_ = id.starts_with(kServicePrefix);
  if (auto refusal = certificate_refusal(id, hello.method); !refusal.empty())
    return refuse(Reason::AuthFailed, refusal);
  std::uint64_t epoch = context.store->epoch();
  auto expected = context.auth->resume_token(id, epoch);
  hello_resume_valid_ = !service_ && hello.store_epoch == epoch &&
                        std::equal(hello.resume_token.begin(), hello.resume_token.end(),
                                   expected.begin(), expected.end());
  hello_last_received_ = hello.last_received_seq;

  switch (hello.method) {
    case protocol::AuthMethod::Hmac: {
      // An unknown id gets a challenge too (with a key nobody holds): failures look alike, so
      // the handshake does not reveal which device ids exist.
      protocol::DeviceKey key{};
      if (auto known = context.auth->key_for(id))
        key = *known;
      else
        protocol::random_bytes(key);
      protocol::Nonce nonce{};
      protocol::random_bytes(nonce);
      session_.challenge(key, nonce);
      return;
    }
    case protocol::AuthMethod::Token: {
      if (service_) return refuse(Reason::AuthFailed, "services authenticate with their key");
      if (!tls_ && !admit_plaintext_token(context.options.token_over_plaintext, id, ip_.text()))
        return refuse(Reason::AuthFailed, kTokenOverPlaintextRefused);
      auto now_s = static_cast<std::uint64_t>(wall_clock_ms() / 1000);
      std::vector<std::string> groups;
      Reason reason = context.auth->check_token(hello.token, id, now_s, groups);
      if (reason != Reason::None) return refuse(reason, "token refused");
      return welcome(std::move(groups));
    }
    case protocol::AuthMethod::Tls:
      // certificate_refusal() found the certificate to name this very device.
      return welcome({});
    default:
      return refuse(Reason::AuthFailed, "unknown auth method");
  }
}

void Connection::on_authenticated(std::string_view device) {
  // Checked again: a reload may have revoked the device between its hello and its proof (the
  // reload's kick only reaches devices already online).
  if (worker_.context().auth->revoked(device))
    return refuse(Reason::Revoked, "this device has been revoked");
  welcome({});
}

void Connection::refuse(Reason reason, std::string_view message) {
  auto& context = worker_.context();
  context.auth->record_failure(ip_.text(), wall_clock_ms());
  KITE_LOG(warn, "auth.refused",
           {{"device", session_.device_id()},
            {"ip", ip_.text()},
            {"reason", reason_name(reason)},
            {"detail", message}});
  session_.reject(reason, message);
}

void Connection::welcome(std::vector<std::string> groups) {
  auto& context = worker_.context();
  auto& store = *context.store;
  const std::string& device = session_.device_id();
  context.auth->record_success(ip_.text());

  protocol::WelcomeParams params;
  params.store_epoch = store.epoch();
  if (!service_) {
    // A token's groups are joined; the welcome lists every group the device is in.
    for (const auto& group : groups) context.groups->join(group, device);
    params.groups = context.groups->groups_of(device);
  }
  if (!service_) {
    Route route{worker_.index(), id_, wall_clock_ms(), ip_, tls_.has_value()};
    if (auto previous = context.registry->claim(device, route)) {
      auto old_connection = previous->connection;
      context.workers[previous->worker]->post([old_connection](Worker& w) {
        if (Connection* old = w.find(old_connection))
          old->kick(Reason::Replaced, 0, "a newer connection for this device took over");
      });
    }
    registered_ = true;
    QueueInfo queue = store.info(device);
    params.resumed = hello_resume_valid_;
    params.resume_token = context.auth->resume_token(device, params.store_epoch);
    params.next_seq = queue.next_seq;
    params.last_received_seq = store.uplink_last_received(device);
    last_stored_sent_ = queue.acked_through;
    if (params.resumed && hello_last_received_ > queue.acked_through) {
      // The device already holds these: they count as acknowledged.
      last_stored_sent_ = std::min(hello_last_received_, queue.next_seq - 1);
      store.ack(device, last_stored_sent_);
    }
  }
  session_.accept(params, now());
}

void Connection::on_open(const protocol::OpenInfo& info) {
  auto& context = worker_.context();
  auto& metrics = worker_.metrics();
  metrics.handshakes_ok.add();
  if (info.resumed) metrics.resumed.add();
  (service_ ? metrics.services_open : metrics.devices_open).add();
  counted_open_ = true;
  if (counted_unauthenticated_) {
    context.auth->authenticated_or_closed(ip_.text());
    counted_unauthenticated_ = false;
    metrics.handshaking.sub();
  }
  if (!service_ && worker_.records(events::EventType::Connect))
    worker_.events().connect(session_.device_id(), wall_clock_ms(), ip_.text(), info.resumed);
  KITE_LOG(info, service_ ? "service.online" : "device.online",
           {{"device", session_.device_id()},
            {"ip", ip_.text()},
            {"resumed", info.resumed},
            {"worker", worker_.index()}});
  uplink_tokens_ = context.options.uplink_burst;
  uplink_refilled_at_ = now();
  backlog_ = true;
  pump();
}

}  // namespace kite::server
