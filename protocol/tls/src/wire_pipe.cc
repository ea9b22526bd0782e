#include "kite/tls/wire_pipe.h"

namespace kite::tls {

WirePipe::WirePipe(std::shared_ptr<const TlsContext> context) {
  if (context) channel_ = std::make_unique<TlsChannel>(std::move(context));
}

bool WirePipe::ready() const {
  return (!channel_ || channel_->handshake_done()) && (!layer_ || layer_->open());
}

WirePipe::Arrival WirePipe::receive(std::span<std::uint8_t> buffer, std::size_t received,
                                    WireHost& host, protocol::Millis now) {
  if (!channel_) {
    pass_in(buffer.first(received), host, now);
    return layer_ && layer_->ended() ? Arrival::LayerEnded : Arrival::Ok;
  }
  TlsChannel& channel = *channel_;
  const bool was_done = channel.handshake_done();
  channel.feed(buffer.first(received));
  if (!was_done && channel.handshake_done() && !channel.failed()) {
    host.on_tls_established();
    if (!layer_ && !ready_told_) {
      ready_told_ = true;
      host.on_wire_ready();
    }
  }
  // Read even when no session takes the plaintext yet: post-handshake messages (a session
  // ticket) and alerts are processed by the read.
  while (host.wire_receiving() && !(layer_ && layer_->ended())) {
    const std::size_t n = channel.read(buffer);
    if (n == 0) break;
    pass_in(buffer.first(n), host, now);
  }
  if (channel.failed()) return Arrival::TlsFailed;
  if (layer_ && layer_->ended()) return Arrival::LayerEnded;
  if (channel.state() == TlsChannel::State::Closed) return Arrival::TlsClosed;
  return Arrival::Ok;
}

// The plaintext to the tap, and through the layer (if any) to the session.
void WirePipe::pass_in(std::span<std::uint8_t> plaintext, WireHost& host, protocol::Millis now) {
  host.on_plaintext_in(plaintext);
  protocol::Session* session = host.wire_session();
  if (!layer_) {
    if (session) session->receive(plaintext, now);
    return;
  }
  const bool was_open = layer_->open();
  layer_->receive(plaintext, session, now);
  if (auto next = layer_->take_successor()) layer_ = std::move(next);
  if (!was_open && layer_->open() && !ready_told_) {
    ready_told_ = true;
    host.on_wire_ready();  // nothing follows a 101 before the client's session speaks
  }
}

bool WirePipe::has_output(const protocol::Session* session) const {
  if (session && session->has_output()) return true;
  if (layer_ && layer_->has_output() && tls_open()) return true;
  return channel_ && channel_->has_output();
}

// The session's bytes, through the layer when there is one, appended to `out` (the session's
// buffer is emptied). The tap sees the session's bytes as the session wrote them.
void WirePipe::frame_out(protocol::Session* session, WireHost& host,
                         std::vector<std::uint8_t>& out) {
  std::span<const std::uint8_t> bytes;
  if (session && session->has_output()) {
    bytes = session->output();
    host.on_plaintext_out(bytes);
  }
  if (layer_)
    layer_->write(bytes, out);
  else
    out.insert(out.end(), bytes.begin(), bytes.end());
  if (session) session->discard_output();
}

std::span<const std::uint8_t> WirePipe::stage_output(protocol::Session* session, WireHost& host,
                                                     std::vector<std::uint8_t>& scratch,
                                                     bool closing) {
  if (!channel_ && !layer_) {
    if (!session) return {};
    if (session->has_output()) host.on_plaintext_out(session->output());
    return session->output();
  }
  scratch.clear();
  if (!channel_) {
    frame_out(session, host, scratch);
    return scratch;
  }
  if (channel_->state() == TlsChannel::State::Open) {
    // A layer's frames need a buffer of their own before encryption: one per thread, reused, so
    // that a flush allocates nothing and an idle connection holds nothing.
    thread_local std::vector<std::uint8_t> plaintext;
    plaintext.clear();
    if (!layer_ && session && session->has_output()) {
      host.on_plaintext_out(session->output());
      channel_->write(session->output());
    } else if (layer_) {
      frame_out(session, host, plaintext);
      if (!plaintext.empty()) channel_->write(plaintext);
    }
  }
  if (session) session->discard_output();  // sent encrypted, or not at all: never in the clear
  if (closing) channel_->close();          // close_notify (once the handshake is done)
  channel_->take_all_output(scratch);
  return scratch;
}

void WirePipe::release_staged(protocol::Session* session) {
  if (!channel_ && !layer_ && session) session->discard_output();
}

void WirePipe::take_staged(protocol::Session* session, std::vector<std::uint8_t>& scratch,
                           std::vector<std::uint8_t>& into) {
  if (channel_ || layer_) {
    into.assign(scratch.begin(), scratch.end());
  } else if (session) {
    session->take_output(into);
  } else {
    into.clear();
  }
}

void WirePipe::take_output(protocol::Session* session, WireHost& host,
                           std::vector<std::uint8_t>& out, bool closing) {
  if (!channel_ && !layer_) {
    if (session && session->has_output()) host.on_plaintext_out(session->output());
    if (session) return session->take_output(out);
    return out.clear();
  }
  stage_output(session, host, out, closing);
}

}  // namespace kite::tls
