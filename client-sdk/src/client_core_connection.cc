// ClientCore, one connection: the attempt (a dial, a proxy's tunnel, TLS and WebSocket, then
// the session), its bytes both ways, and its end (reconnect after a back-off, or stop for good).
#include <algorithm>

#include "byte_views.h"
#include "client_core.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/tls/channel.h"
#include "kite/websocket/client_opening.h"

namespace kite::sdk {
namespace {

using protocol::Reason;
// Uplink is not fed to a connection that has this much unwritten: the queue holds the rest.
constexpr std::size_t kWriteHighWater = 64u << 10;

}  // namespace

// ---------------------------------------------------------------------------------------------
// The attempt

void ClientCore::begin_attempt() {
  reconnect_at_ = kNever;
  connect_deadline_ = now_ + options_.connect_timeout_ms;
  connection_.emplace();
  dial_wanted_ = true;
  unwritten_ = 0;  // the driver's count was the last connection's
  notify({.state = State::Connecting});
}

void ClientCore::connected(Millis now) {
  advance(now);
  if (!connection_ || connection_->tcp_up) return;
  connection_->tcp_up = true;
  if (!endpoint_.proxied()) return open_wire();
  // The tunnel first: the request goes out now, the answer comes to on_proxy_answer().
  connection_->proxy_answer = std::make_unique<websocket::ResponseHead>();
  const std::string tunnel = connect_request(endpoint_);
  output_.insert(output_.end(), tunnel.begin(), tunnel.end());
}

void ClientCore::connect_failed(std::string reason, std::string detail, Millis now) {
  advance(now);
  if (connection_ && !connection_->tcp_up) fail_attempt(std::move(reason), std::move(detail));
}

// With TLS or WebSocket the Hello waits for them (on_wire_ready); their first flight (the
// ClientHello, or the upgrade request) is ready now, and flush() sends it when this settles.
void ClientCore::open_wire() {
  connection_->wire = tls::WirePipe(tls_context_);
  if (endpoint_.websocket_path)
    connection_->wire.set_layer(std::make_unique<websocket::WebSocketLayer>(
        websocket::Side::Client,
        std::make_unique<websocket::ClientOpening>(websocket::ClientOpeningOptions{
            endpoint_.host_and_port(), *endpoint_.websocket_path, {}})));
  if (connection_->wire.ready()) start_session();
}

// The proxy's answer to CONNECT: 200 opens the tunnel; anything else ends the attempt with the
// proxy's words (407: its credentials).
void ClientCore::on_proxy_answer(std::span<const std::uint8_t> bytes) {
  websocket::ResponseHead& answer = *connection_->proxy_answer;
  std::size_t used = 0;
  switch (answer.feed(bytes, used)) {
    case websocket::ResponseHead::Step::More:
      return;
    case websocket::ResponseHead::Step::Bad:
      return fail_attempt("ProxyFailed",
                          "the proxy's answer is not HTTP: " + std::string(answer.error()));
    case websocket::ResponseHead::Step::Done:
      break;
  }
  const int status = answer.status();
  if (status / 100 != 2)
    return fail_attempt(
        "ProxyFailed",
        "the proxy answered CONNECT with " + std::to_string(status) + " " +
            std::string(answer.reason()) +
            (status == 401 || status == 407 ? " (check the user and password in the proxy option)"
                                            : ""));
  connection_->proxy_answer.reset();
  open_wire();  // a server speaks only when spoken to: nothing follows the answer yet
}

void ClientCore::on_wire_ready() {
  if (!session_) start_session();
}

void ClientCore::start_session() {
  session_ = std::make_unique<protocol::Session>(protocol::Role::Client, *context_, *this, now_);
  protocol::random_bytes(credentials_.nonce);
  session_->start(credentials_, resume_request(), now_);
}

protocol::ResumeRequest ClientCore::resume_request() const {
  return {resume_token_, last_received_seq_, store_epoch_, next_uplink_seq_};
}

// A failure before any session existed (resolve, connect): the same path as a lost connection.
void ClientCore::fail_attempt(std::string reason, std::string detail) {
  if (!ending_) ending_ = Ending{std::move(reason), std::move(detail)};
}

// ---------------------------------------------------------------------------------------------
// Bytes in

void ClientCore::received(std::span<std::uint8_t> bytes, Millis now) {
  advance(now);
  if (!connection_ || !connection_->tcp_up || ending_ || bytes.empty()) return;
  if (connection_->proxy_answer) return on_proxy_answer(bytes);
  if (!session_ && connection_->wire.ready()) return;  // nobody to take it
  after_arrival(connection_->wire.receive(bytes, bytes.size(), *this, now));
}

void ClientCore::peer_closed(Millis now) {
  advance(now);
  if (!connection_) return;
  // A goodbye from kited would have ended the session already: this end came without one
  // (kited killed, a proxy or NAT dropping the connection), whatever the session makes of it.
  if (!ending_) ending_ = transport_ended({});
  if (session_) session_->receive_end(now);
}

void ClientCore::transport_failed(std::string what, Millis now) {
  advance(now);
  if (connection_ && !ending_) ending_ = transport_ended(std::move(what));
}

void ClientCore::after_arrival(tls::WirePipe::Arrival arrival) {
  if (ending_ || arrival == tls::WirePipe::Arrival::Ok) return;
  if (arrival == tls::WirePipe::Arrival::TlsFailed) {
    ending_ = Ending{"TlsFailed", std::string(connection_->tls()->failure_reason())};
    ending_->send_alert = true;
    return;
  }
  if (arrival == tls::WirePipe::Arrival::LayerEnded) {  // the WebSocket: refused, or closed
    const std::string why(connection_->wire.layer()->why());
    ending_ = session_ ? Ending{"ConnectionLost", why} : Ending{"UpgradeFailed", why};
    if (session_) session_->receive_end(now_);
    return;
  }
  // close_notify without a goodbye frame first: as good as an EOF to the session.
  ending_ = Ending{"ConnectionLost", "kited closed the TLS connection without a goodbye"};
  if (session_) session_->receive_end(now_);
}

// A socket error (`what`), or EOF (empty). Not TlsFailed even during the TLS handshake: kited
// gives its TLS verdicts as alerts, and closes without one when it refuses the connection
// itself (too many failed attempts from this address, a network it does not serve).
ClientCore::Ending ClientCore::transport_ended(std::string what) const {
  const tls::TlsChannel* tls = connection_ ? connection_->wire.channel() : nullptr;
  const bool handshaking = tls && !tls->handshake_done();
  if (what.empty())
    what = handshaking ? "kited closed the connection"
                       : "kited closed the connection without a goodbye";
  if (handshaking) what += " during the TLS handshake";
  return Ending{"ConnectionLost", std::move(what)};
}

// ---------------------------------------------------------------------------------------------
// Bytes out

// What is ready for the socket: the session's frames, or with TLS their records and whatever
// the channel has to say by itself (handshake flights, alerts, close_notify). The session's
// buffer is freed once taken: an idle client holds no plaintext buffer.
void ClientCore::flush() {
  if (!connection_ || !connection_->tcp_up || connection_->proxy_answer) return;
  if (!connection_->wire.has_output(session_.get())) return;
  std::vector<std::uint8_t> out;
  connection_->wire.take_output(session_.get(), *this, out);
  if (tls::TlsChannel* tls = connection_->tls(); tls && tls->failed() && !ending_) {
    ending_ = Ending{"TlsFailed", std::string(tls->failure_reason())};
    ending_->send_alert = true;
  }
  if (output_.empty()) {
    output_.swap(out);
  } else {
    output_.insert(output_.end(), out.begin(), out.end());  // behind what is waiting already
  }
}

void ClientCore::pump() {
  if (!session_ || !session_->is_open() || !connection_) return;
  // Bytes not yet on the wire: taken by the driver and unwritten, waiting here, ciphertext in
  // the TLS channel, and frames not yet encrypted (within a few bytes per record).
  const auto writable = [this] {
    return unwritten_ + output_.size() +
               (connection_->tls() ? connection_->tls()->output_size() : 0) +
               session_->output().size() <
           kWriteHighWater;
  };
  for (auto& request : groups_) {
    if (request.sent) continue;
    std::string group[1] = {request.group};
    if (session_->subscribe(request.id, request.join, group, now_) != protocol::SendStatus::Sent)
      break;
    request.sent = true;
  }
  if (!writable()) return;
  queue_.pump(
      [&](const UplinkQueue::Entry& entry, std::uint32_t ttl) -> SendResult {
        if (!writable()) return {protocol::SendStatus::NoCredit};
        protocol::OutgoingMessage m;
        m.payload = bytes(entry.payload);
        m.topic = entry.topic;
        m.content_type = entry.content_type;
        m.qos = entry.at_least_once ? protocol::Qos::AtLeastOnce : protocol::Qos::AtMostOnce;
        m.ttl_ms = ttl;
        std::uint64_t seq = entry.seq;
        auto status =
            seq != 0 ? session_->publish_stored(seq, m, now_) : session_->publish(m, now_, &seq);
        if (status == protocol::SendStatus::Sent && entry.at_least_once)
          next_uplink_seq_ = std::max(next_uplink_seq_, seq + 1);
        return {status, seq};
      },
      now_, finished_);
}

// ---------------------------------------------------------------------------------------------
// The end of a connection, and what comes next

void ClientCore::end_connection() {
  Ending ending = std::move(*ending_);
  // The session's last words (an error frame, a goodbye) go before the close, once the session
  // file holds what they say.
  const bool saved = save_session(/*force=*/true);
  if (saved) flush();
  const bool graceful = ending.code != Reason::None || ending.send_alert;
  if (saved && graceful && connection_ && connection_->tls() &&
      connection_->tls()->state() == tls::TlsChannel::State::Open) {
    connection_->tls()->close();  // close_notify after the goodbye
    flush();
  }
  close_connection(graceful);
  ending_.reset();  // only now: a write failing in the flushes above must not end it twice
  session_.reset();
  connect_deadline_ = kNever;
  const bool was_open = opened_at_ != kNever;
  const bool stable = was_open && now_ - opened_at_ >= options_.stable_after_ms;
  opened_at_ = kNever;
  if (stopping_) return finish_stop("Stopped", "stopped by the app");
  if (ending.code == Reason::Replaced || ending.code == Reason::Revoked ||
      !protocol::reconnect_allowed(ending.code)) {
    // For good: retrying would fight a newer connection or repeat a refusal.
    const bool kept = save_before_stop();
    stopping_ = true;
    stopped_ = true;
    std::string why = ending.reason + (ending.detail.empty() ? "" : ": " + ending.detail);
    if (kept) why += "; the message is kept in the session file for the next start";
    queue_.fail_all(Error::Stopped, why, finished_);
    fail_groups(Error::Stopped, why);
    State state = ending.code == Reason::Replaced  ? State::Replaced
                  : ending.code == Reason::Revoked ? State::Revoked
                                                   : State::Stopped;
    notify({state, std::move(ending.reason), std::move(ending.detail)});
    return;
  }
  if (stable) backoff_.reset();
  // An open session lost with no reconnect-after from kited: its whole fleet may have lost it at
  // once (kited killed), so the first retry is spread wide; a goaway names its own spread.
  const bool lost_unannounced =
      was_open && ending.reconnect_after_ms == 0 && options_.lost_reconnect_spread_ms > 0;
  std::uint32_t delay = lost_unannounced ? backoff_.spread(options_.lost_reconnect_spread_ms)
                                         : backoff_.next(ending.reconnect_after_ms);
  reconnect_at_ = now_ + delay;
  notify({State::Disconnected, std::move(ending.reason), std::move(ending.detail), false, delay});
}

// The driver closes its socket (or abandons its dial) when it takes this.
void ClientCore::close_connection(bool graceful) {
  if (!connection_) return;
  close_wanted_ = true;
  close_graceful_ = graceful && connection_->tcp_up;
  dial_wanted_ = false;
  connection_.reset();
}

void ClientCore::finish_stop(std::string reason, std::string detail) {
  const bool kept = save_before_stop();
  stopped_ = true;
  reconnect_at_ = kNever;
  queue_.fail_all(Error::Stopped,
                  kept ? "the client was stopped; the message is kept in the session file for "
                         "the next start"
                       : "the client was stopped",
                  finished_);
  fail_groups(Error::Stopped, "the client was stopped");
  notify({State::Stopped, std::move(reason), std::move(detail)});
}

void ClientCore::fail_groups(Error error, std::string_view why) {
  for (auto& request : groups_)
    if (request.done) finished_.push_back({std::move(request.done), error, std::string(why)});
  groups_.clear();
}

}  // namespace kite::sdk
