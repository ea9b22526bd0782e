#include "kite/tls/wire_pipe.h"

namespace kite::tls {

WirePipe::WirePipe(std::shared_ptr<const TlsContext> context) {
  if (context) channel_.emplace(std::move(context));
}

WirePipe::Arrival WirePipe::receive(std::span<std::uint8_t> buffer, std::size_t received,
                                    WireHost& host, protocol::Millis now) {
  if (!channel_) {
    const auto bytes = buffer.first(received);
    host.on_plaintext_in(bytes);
    if (protocol::Session* session = host.wire_session()) session->receive(bytes, now);
    return Arrival::Ok;
  }
  TlsChannel& channel = *channel_;
  const bool was_done = channel.handshake_done();
  channel.feed(buffer.first(received));
  if (!was_done && channel.handshake_done() && !channel.failed()) host.on_tls_established();
  // Read even when no session takes the plaintext yet: post-handshake messages (a session
  // ticket) and alerts are processed by the read.
  while (host.wire_receiving()) {
    const std::size_t n = channel.read(buffer);
    if (n == 0) break;
    const auto plaintext = buffer.first(n);
    host.on_plaintext_in(plaintext);
    if (protocol::Session* session = host.wire_session()) session->receive(plaintext, now);
  }
  if (channel.failed()) return Arrival::TlsFailed;
  if (channel.state() == TlsChannel::State::Closed) return Arrival::TlsClosed;
  return Arrival::Ok;
}

bool WirePipe::has_output(const protocol::Session* session) const {
  return (session && session->has_output()) || (channel_ && channel_->has_output());
}

std::span<const std::uint8_t> WirePipe::stage_output(protocol::Session* session, WireHost& host,
                                                     std::vector<std::uint8_t>& scratch,
                                                     bool closing) {
  if (!channel_) {
    if (!session) return {};
    if (session->has_output()) host.on_plaintext_out(session->output());
    return session->output();
  }
  if (session && session->has_output()) {
    if (channel_->state() == TlsChannel::State::Open) {
      host.on_plaintext_out(session->output());
      channel_->write(session->output());
    }
    session->discard_output();  // sent encrypted, or not at all: never in the clear
  }
  if (closing) channel_->close();  // close_notify (once the handshake is done)
  scratch.clear();
  channel_->take_all_output(scratch);
  return scratch;
}

void WirePipe::release_staged(protocol::Session* session) {
  if (!channel_ && session) session->discard_output();
}

void WirePipe::take_staged(protocol::Session* session, std::vector<std::uint8_t>& scratch,
                           std::vector<std::uint8_t>& into) {
  if (channel_) {
    into.assign(scratch.begin(), scratch.end());
  } else if (session) {
    session->take_output(into);
  } else {
    into.clear();
  }
}

void WirePipe::take_output(protocol::Session* session, WireHost& host,
                           std::vector<std::uint8_t>& out, bool closing) {
  if (!channel_) {
    if (session && session->has_output()) host.on_plaintext_out(session->output());
    if (session) return session->take_output(out);
    return out.clear();
  }
  stage_output(session, host, out, closing);
}

}  // namespace kite::tls
