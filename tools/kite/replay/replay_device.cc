#include "replay/replay_device.h"

#include <string>

#include "kite/protocol/reason.h"

namespace kite::cli {
namespace {

std::string transport_error(bench::TransportFailure failure) {
  switch (failure) {
    case bench::TransportFailure::ConnectRefused:
      return "connect refused";
    case bench::TransportFailure::ConnectFailed:
      return "connect failed";
    case bench::TransportFailure::Tls:
      return "tls failed";
    case bench::TransportFailure::Lost:
      return "connection lost";
    case bench::TransportFailure::None:
      break;
  }
  return {};
}

// Reasons kited closes with when it will not have this device, whatever is tried again.
bool refused_credentials(protocol::Reason reason) {
  return reason == protocol::Reason::AuthFailed || reason == protocol::Reason::TokenExpired ||
         reason == protocol::Reason::Revoked;
}

}  // namespace

void DeviceReplay::start(bench::ClientLoop& loop, bench::BenchClient& client) {
  loop_ = &loop;
  client_ = &client;
  ++report_.runs;
  client.connect();
}

void DeviceReplay::opened(std::uint64_t now_ns) {
  open_ = true;
  opened_ns_ = now_ns;
  last_ack_ns_ = now_ns;
  ++report_.connected;
}

bool DeviceReplay::send(const ReplayStep& step, std::uint64_t now_ns) {
  protocol::Session& session = client_->session();
  const protocol::Millis millis = loop_->now();  // the session runs on the loop's clock
  protocol::SendStatus status = protocol::SendStatus::Sent;
  switch (step.kind) {
    case ReplayStepKind::Publish: {
      protocol::OutgoingMessage message;
      message.payload = step.payload;
      message.qos = step.qos;
      message.ttl_ms = step.ttl_ms;
      message.topic = step.topic;
      message.content_type = step.content_type;
      message.conflation_key = step.conflation_key;
      message.message_id = step.message_id;
      std::uint64_t seq = 0;
      status = session.publish(message, millis, &seq);
      if (status == protocol::SendStatus::Sent && step.qos == protocol::Qos::AtLeastOnce)
        unacked_[seq] = now_ns;
      break;
    }
    case ReplayStepKind::Subscribe:
    case ReplayStepKind::Unsubscribe:
      status =
          session.subscribe(step.id, step.kind == ReplayStepKind::Subscribe, step.groups, millis);
      break;
    case ReplayStepKind::Reply:
      return true;  // see the header: counted as sent, nothing to answer
  }
  if (status == protocol::SendStatus::NoCredit) return false;
  if (status == protocol::SendStatus::Sent)
    ++report_.sent;
  else
    report_.errors.add("send refused locally (status " + std::to_string(static_cast<int>(status)) +
                       ")");
  return true;
}

bool DeviceReplay::everything_answered(std::uint64_t now_ns) const {
  if (!unacked_.empty()) return false;
  return received_ >= plan_.captured_downlink ||
         now_ns - last_ack_ns_ >= pace_.linger_ms * 1'000'000;
}

void DeviceReplay::pump(std::uint64_t now_ns) {
  if (!open_ || closing_ || !client_->is_open()) return;
  const std::uint64_t elapsed = now_ns - opened_ns_;
  while (next_ < plan_.steps.size()) {
    const ReplayStep& step = plan_.steps[next_];
    const auto due = static_cast<std::uint64_t>(static_cast<double>(step.offset_ns) / pace_.speed);
    if (!pace_.top_speed && due > elapsed) break;
    if (!send(step, now_ns)) break;
    ++next_;
    last_ack_ns_ = now_ns;  // the linger counts from the last thing sent or acked
  }
  client_->flush();
  if (next_ == plan_.steps.size() && everything_answered(now_ns)) {
    closing_ = true;
    client_->close();  // a NormalClose: closed() comes back from it
  }
}

void DeviceReplay::stop() {
  if (finished_ || !client_) return;
  closing_ = true;
  client_->close();
  finished_ = true;
}

void DeviceReplay::acked(std::uint64_t seq, std::uint64_t now_ns) {
  last_ack_ns_ = now_ns;
  while (!unacked_.empty() && unacked_.begin()->first <= seq) {
    report_.latency_us.push_back((now_ns - unacked_.begin()->second) / 1000);
    ++report_.acks;
    unacked_.erase(unacked_.begin());
  }
}

void DeviceReplay::error(protocol::Reason reason) {
  report_.errors.add("error: " + std::string(protocol::reason_name(reason)));
}

void DeviceReplay::closed(const protocol::CloseInfo& info) {
  if (finished_) return;
  finished_ = true;
  open_ = false;
  if (closing_ && info.reason == protocol::Reason::NormalClose) return;  // our goodbye
  const std::string transport = transport_error(client_->transport_failure());
  if (!transport.empty()) {
    report_.errors.add(transport);
    // Never connected: kited is not there (or not speaking TLS to us).
    report_.errors.unreachable |= !client_->connected_once();
    return;
  }
  report_.errors.add("closed: " + std::string(protocol::reason_name(info.reason)));
  report_.errors.unreachable |= refused_credentials(info.reason);
}

}  // namespace kite::cli
