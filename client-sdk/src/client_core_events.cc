// ClientCore, what the session says: the connection opened, a message or a command arrived,
// uplink was confirmed or refused, a group request answered, the session closed.
#include <algorithm>

#include "byte_views.h"
#include "client_core.h"
#include "kite/protocol/reason.h"

namespace kite::sdk {

void ClientCore::on_open(const protocol::OpenInfo& info) {
  opened_at_ = now_;
  connect_deadline_ = kNever;
  resume_token_.assign(info.resume_token.begin(), info.resume_token.end());
  store_epoch_ = info.store_epoch;
  ++session_changes_;
  if (!info.resumed) {
    last_received_seq_ = 0;
    next_uplink_seq_ = info.peer_last_received + 1;
  }
  queue_.reopened(info.resumed, info.peer_last_received, finished_);
  for (auto& request : groups_) request.sent = false;  // unconfirmed ones go again
  const tls::TlsChannel* tls = connection_ ? connection_->wire.channel() : nullptr;
  const bool tls_resumed = tls && tls->resumed();
  notify({State::Connected, {}, {}, info.resumed, 0, tls_resumed, info.dictionary});
}

void ClientCore::on_message(const protocol::IncomingMessage& m) {
  // After stop() (say, from the handler of an earlier message of the same read) the app wants
  // no more: the rest stays unacknowledged, and kited keeps the QoS 1 ones for the next session.
  if (stopping_) return;
  if (message_handler_) {
    Message message{text(m.payload), m.topic, m.content_type,
                    m.message_id,    m.seq,   m.qos == protocol::Qos::AtLeastOnce};
    message_handler_(message);
  }
  // Returning from the handler is the app's acknowledgement.
  if (m.qos == protocol::Qos::AtLeastOnce && m.seq > last_received_seq_) {
    last_received_seq_ = m.seq;
    ++session_changes_;
  }
  if (session_) session_->acknowledge(m.seq, now_);
}

void ClientCore::on_acked(std::uint64_t seq) {
  queue_.acked(seq, finished_);
}

void ClientCore::on_command(const protocol::CommandInfo& command) {
  Reply reply{501, "this device has no command handler"};
  if (command_handler_)
    reply = command_handler_(Command{command.name, text(command.payload), command.timeout_ms});
  if (!session_) return;
  if (session_->reply({command.id, reply.status, bytes(reply.payload)}, now_) ==
      protocol::SendStatus::TooLarge) {
    // Said now rather than left to the backend's timeout.
    const std::string why = "the device's reply (" + std::to_string(reply.payload.size()) +
                            " bytes) is larger than a frame may carry";
    session_->reply({command.id, kReplyTooLarge, bytes(why)}, now_);
  }
}

void ClientCore::on_subscribe(std::uint64_t request_id, bool /*join*/,
                              std::span<const std::string_view> /*groups*/) {
  auto it = std::find_if(groups_.begin(), groups_.end(),
                         [&](const GroupRequest& r) { return r.id == request_id; });
  if (it == groups_.end()) return;
  if (it->done) finished_.push_back({std::move(it->done), Error::Ok, {}});
  groups_.erase(it);
}

void ClientCore::on_error(protocol::Reason reason, std::uint64_t ref, std::string_view message) {
  std::string why = std::string(protocol::reason_name(reason));
  if (!message.empty()) why += ": " + std::string(message);
  auto it = std::find_if(groups_.begin(), groups_.end(),
                         [&](const GroupRequest& r) { return r.id == ref; });
  if (it != groups_.end()) {
    if (it->done) finished_.push_back({std::move(it->done), Error::Refused, why});
    groups_.erase(it);
    return;
  }
  queue_.refused(ref, why, finished_);
}

void ClientCore::on_close(const protocol::CloseInfo& info) {
  if (connection_) connection_->wire.end(info.reason);  // over WebSocket, its Close carries it
  if (ending_) return;
  ending_ = Ending{std::string(protocol::reason_name(info.reason)), std::string(info.message),
                   info.reason, info.reconnect_after_ms};
}

}  // namespace kite::sdk
