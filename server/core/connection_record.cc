// The recording half of Connection (connection.h; the format in docs/recording.md): when a
// connection gets a recorder, and the calls that hand it the session's plaintext.
//
// Rules it keeps:
//  - uplink is recorded before the session sees the bytes, downlink as flush() hands them on:
//    so a frame is in the file before anything the session does about it (an answer, a close);
//  - a connection accepted while recording is on is recorded from its first byte, with an opened
//    event; one already open when recording is switched on (or its device chosen) from the next
//    frame boundary in each direction (record/connection_recorder.h);
//  - with a device list, the hello decides: its frame is held until on_hello names the device.
#include <fmt/format.h>

#include "core/connection.h"
#include "core/worker.h"

namespace kite::server {

void Connection::start_recording(bool from_start) {
  recorder_ = std::make_unique<record::ConnectionRecorder>(worker_.recorder(), id_, wire_.is_tls(),
                                                           from_start);
  const bool recorded =
      from_start ? recorder_->opened(peer_endpoint()) : recorder_->reconsider(device_id());
  if (!recorded) recorder_.reset();
}

void Connection::update_recording() {
  if (worker_.recorder().choose(device_id()) == record::WorkerRecorder::Choice::skip) {
    recorder_.reset();
  } else if (recorder_) {
    if (!recorder_->reconsider(device_id())) recorder_.reset();
  } else if (!lifecycle_.closing()) {
    start_recording(/*from_start=*/false);
  }
}

void Connection::record_uplink(std::span<const std::uint8_t> plaintext) {
  // The session's decoder holds no partial frame: these bytes begin one (what a recorder that
  // starts in the middle of a connection waits for).
  const bool at_boundary = session_.decoder().buffered_bytes() == 0;
  if (!recorder_->uplink(plaintext, at_boundary)) recorder_.reset();
}

void Connection::record_downlink(std::span<const std::uint8_t> plaintext) {
  if (!recorder_->downlink(plaintext)) recorder_.reset();
}

void Connection::record_identified(std::string_view device) {
  if (!recorder_->identified(device)) recorder_.reset();
}

void Connection::record_close_reason(const protocol::CloseInfo& info) {
  const auto reason = protocol::reason_name(info.reason);
  if (!info.by_peer)
    recorder_->set_close_reason(std::string(reason));
  else if (info.reason == protocol::Reason::NormalClose)
    recorder_->set_close_reason("peer closed");
  else
    recorder_->set_close_reason(fmt::format("peer closed: {}", reason));
}

std::string Connection::peer_endpoint() const {
  // Behind a proxy, the client the PROXY header named (connection_proxy.cc).
  if (proxied_port_ != 0)
    return ip_.address().is_v4() ? fmt::format("{}:{}", ip_.text(), proxied_port_)
                                 : fmt::format("[{}]:{}", ip_.text(), proxied_port_);
  sockaddr_storage address{};
  int length = sizeof address;
  if (uv_tcp_getpeername(&tcp_, reinterpret_cast<sockaddr*>(&address), &length) != 0) return "?";
  char ip[64] = "?";
  if (address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address);
    uv_ip4_name(v4, ip, sizeof ip);
    return fmt::format("{}:{}", ip, ntohs(v4->sin_port));
  }
  if (address.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address);
    uv_ip6_name(v6, ip, sizeof ip);
    return fmt::format("[{}]:{}", ip, ntohs(v6->sin6_port));
  }
  return "?";
}

}  // namespace kite::server
