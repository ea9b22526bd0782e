// The Session's handlers and calls: every change to a session's state is made in this file
// (h11's rule). What the caller must do is in session.h with the state chart; which message may
// arrive when, and where it goes, is session_transitions.cc; each message's field rules and
// building are pure functions in its *_body file.
#include "kite/protocol/session.h"

#include <algorithm>
#include <limits>

#include "announced.h"
#include "challenge_body.h"
#include "command_body.h"
#include "error_body.h"
#include "fb_views.h"
#include "hello_body.h"
#include "ping_body.h"
#include "publish_body.h"
#include "subscribe_body.h"
#include "welcome_body.h"

namespace kite::protocol {

template <typename Message>
std::size_t Session::emit(flatbuffers::Offset<Message> message, Millis now) {
  std::size_t body = emit_frame(message);
  if (body != 0) keepalive_.sent(now);
  return body;
}

template <typename Message>
std::size_t Session::emit_frame(flatbuffers::Offset<Message> message) {
  FrameEncoder& encoder = context_.encoder();
  encoder.compression().dictionary = dictionary_;  // the context is shared: set it every time
  return encoder.finish(message, output_, peer_max_frame_);
}

Session::Session(Role role, SessionContext& context, SessionHandler& handler, Millis now)
    : Session(role, nullptr, &context, handler, now) {}

Session::Session(Role role, SessionConfig config, SessionHandler& handler, Millis now)
    : Session(role, std::make_unique<SessionContext>(std::move(config)), nullptr, handler, now) {}

Session::Session(Role role, std::unique_ptr<SessionContext> owned, SessionContext* shared,
                 SessionHandler& handler, Millis now)
    : role_(role),
      state_(role == Role::Client ? State::Idle : State::AwaitHello),
      owned_context_(std::move(owned)),
      context_(shared ? *shared : *owned_context_),
      handler_(handler),
      handshake_(std::make_unique<Handshake>()),
      decoder_(std::min(context_.config().max_frame, limits::kHandshakeMaxBody)) {
  handshake_->deadline = now + config().handshake_timeout;
}

// ---------------------------------------------------------------------------------------------
// Input

void Session::receive(std::span<const std::uint8_t> bytes, Millis now) {
  if (state_ == State::Closed) return;
  keepalive_.received(now);
  decoder_.feed(bytes);
  while (state_ != State::Closed) {
    DecodeResult result = decoder_.next();
    if (result.status == DecodeResult::Status::NeedMore) break;
    if (result.status == DecodeResult::Status::Error)
      return fail(result.error, "undecodable frame");
    const wire::Frame* frame = nullptr;
    Reason reason = context_.bodies().decode(result.frame, decoder_.max_body(), frame);
    if (reason != Reason::None) return fail(reason, "undecodable frame body");
    if (state_ == State::Open)
      handler_.on_frame(frame->message_type(), context_.bodies().last_body_size());
    handle_frame(*frame, now);
  }
  flush_acks(now);
}

void Session::receive_end(Millis /*now*/) {
  if (state_ == State::Closed) return;
  Reason truncated = decoder_.finish();
  if (truncated != Reason::None) return fail(truncated, "stream ended inside a frame");
  finish({Reason::NormalClose, true, 0, "connection closed by peer"});
}

void Session::tick(Millis now) {
  if (state_ == State::Closed) return;
  if (state_ != State::Open) {
    if (state_ != State::Idle && now >= handshake_->deadline)
      fail(Reason::HandshakeTimeout, "handshake not completed in time");
    return;
  }
  if (keepalive_.expired(now)) return fail(Reason::KeepaliveTimeout, "peer silent too long");
  flush_acks(now);
  if (keepalive_.ping_due(now)) emit(build_ping(context_.encoder().start(), now), now);
}

Millis Session::next_deadline() const {
  constexpr Millis kNever = std::numeric_limits<Millis>::max();
  switch (state_) {
    case State::Closed:
    case State::Idle:
      return kNever;
    case State::Open:
      return std::min(keepalive_.deadline(), receive_.ack_deadline().value_or(kNever));
    default:
      return handshake_->deadline;
  }
}

void Session::take_output(std::vector<std::uint8_t>& into) {
  into.clear();
  std::swap(into, output_);
}

// ---------------------------------------------------------------------------------------------
// Handshake, client side

CallStatus Session::start(const ClientCredentials& credentials, const ResumeRequest& resume,
                          Millis now) {
  if (role_ != Role::Client) return CallStatus::WrongRole;
  if (state_ != State::Idle) return CallStatus::WrongState;
  device_id_ = credentials.device_id;
  method_ = credentials.method;
  handshake_->key = credentials.key;
  handshake_->client_nonce = credentials.nonce;
  handshake_->resume = resume;

  emit(build_hello(context_.encoder().start(), credentials, resume, config()), now);
  state_ = State::HelloSent;
  handshake_->deadline = now + config().handshake_timeout;
  return CallStatus::Done;
}

void Session::on_challenge(const wire::Challenge& challenge, Millis now) {
  Nonce server_nonce{};
  if (Refusal refusal = read_challenge(challenge, server_nonce)) return refuse(refusal);
  handshake_->server_nonce = server_nonce;
  Proof proof =
      client_proof(handshake_->key, device_id_, handshake_->client_nonce, handshake_->server_nonce);
  emit(build_auth(context_.encoder().start(), proof), now);
  state_ = State::AuthSent;
}

void Session::on_welcome(const wire::Welcome& welcome, Millis now) {
  if (method_ == AuthMethod::Hmac) {
    if (state_ != State::AuthSent) return fail(Reason::UnexpectedMessage, "welcome before auth");
    Proof expected = server_proof(handshake_->key, device_id_, handshake_->client_nonce,
                                  handshake_->server_nonce);
    if (!proof_matches(expected, view(welcome.server_proof())))
      return fail(Reason::AuthFailed, "server proof does not match");
  }
  if (Refusal refusal = check_welcome(welcome, config().dictionaries.get())) return refuse(refusal);

  const bool resumed = welcome.resumed();
  ReceiveWindow::Settings settings{config().receive_window, config().ack_every, config().ack_delay};
  receive_.open(settings, resumed ? handshake_->resume.last_received_seq : 0);
  if (Refusal refusal = check_welcome_sequences(welcome)) return refuse(refusal);
  std::uint64_t next = welcome.last_received_seq() + 1;
  if (resumed) next = std::max(next, handshake_->resume.next_seq);
  send_.open(next, welcome.last_received_seq(), announced_credit(welcome.credit()));
  peer_max_frame_ = announced_max_frame(welcome.max_frame());
  dictionary_ = welcome.dictionary();
  keepalive_.start(now, std::max<std::uint32_t>(welcome.keepalive_ms(), 1),
                   config().keepalive_factor_percent, /*sends_pings=*/true);
  const OpenInfo info = read_welcome(welcome);
  open(now);
  handler_.on_open(info);
}

// ---------------------------------------------------------------------------------------------
// Handshake, server side

void Session::on_hello(const wire::Hello& message) {
  if (Refusal refusal = check_hello(message)) return refuse(refusal);
  HelloBody hello = read_hello(message);
  method_ = hello.info.method;
  device_id_.assign(hello.info.device_id);
  handshake_->client_nonce = hello.client_nonce;
  if (Refusal refusal = check_announced_seq(hello.info.last_received_seq)) return refuse(refusal);
  handshake_->peer_last_received = hello.info.last_received_seq;
  handshake_->peer_credit = hello.credit;
  handshake_->requested_keepalive = hello.info.keepalive_ms;
  peer_max_frame_ = hello.max_frame;
  handshake_->peer_dictionaries = std::move(hello.dictionaries);

  state_ = State::Deciding;
  hello.info.device_id = device_id_;
  handler_.on_hello(hello.info);
}

CallStatus Session::challenge(const DeviceKey& key, const Nonce& server_nonce) {
  if (role_ != Role::Server) return CallStatus::WrongRole;
  if (state_ != State::Deciding || method_ != AuthMethod::Hmac) return CallStatus::WrongState;
  handshake_->key = key;
  handshake_->server_nonce = server_nonce;
  emit_frame(build_challenge(context_.encoder().start(), server_nonce));
  state_ = State::AwaitAuth;
  return CallStatus::Done;
}

void Session::on_auth(const wire::Auth& auth) {
  Proof expected =
      client_proof(handshake_->key, device_id_, handshake_->client_nonce, handshake_->server_nonce);
  if (!proof_matches(expected, view(auth.proof())))
    return fail(Reason::AuthFailed, "proof does not match the device key");
  handshake_->proven = true;
  state_ = State::Deciding;
  handler_.on_authenticated(device_id_);
}

CallStatus Session::accept(const WelcomeParams& welcome, Millis now) {
  if (role_ != Role::Server) return CallStatus::WrongRole;
  if (state_ != State::Deciding) return CallStatus::WrongState;
  // An Hmac device is only accepted after its proof: no path around the challenge.
  if (method_ == AuthMethod::Hmac && !handshake_->proven) {
    fail(Reason::Internal, "accept() before the device proved its key");
    return CallStatus::WrongState;
  }

  WelcomeTerms terms = agree_terms(config(), handshake_->requested_keepalive,
                                   handshake_->peer_dictionaries, peer_max_frame_);
  Proof proof{};
  if (method_ == AuthMethod::Hmac) {
    proof = server_proof(handshake_->key, device_id_, handshake_->client_nonce,
                         handshake_->server_nonce);
    terms.proof = &proof;
  }
  context_.encoder().compression().dictionary = dictionary_;  // the Welcome goes out before it
  const std::size_t listed = encode_welcome(context_.encoder(), welcome, terms, output_);
  if (listed == kWelcomeNotEncoded) {
    fail(Reason::Internal, "welcome does not fit the handshake");
    return CallStatus::Done;  // the close is the outcome, reported by on_close()
  }

  std::uint64_t peer_holds = welcome.resumed ? handshake_->peer_last_received : 0;
  send_.open(welcome.next_seq, peer_holds, handshake_->peer_credit);
  ReceiveWindow::Settings settings{config().receive_window, config().ack_every, config().ack_delay};
  receive_.open(settings, welcome.last_received_seq);
  dictionary_ = terms.dictionary;
  keepalive_.start(now, terms.keepalive_ms, config().keepalive_factor_percent,
                   /*sends_pings=*/false);
  open(now);
  announce_groups(std::span(welcome.groups).subspan(listed), now);
  handler_.on_open(opened_info(welcome, terms, peer_holds));
  return CallStatus::Done;
}

CallStatus Session::reject(Reason reason, std::string_view message) {
  if (role_ != Role::Server) return CallStatus::WrongRole;
  if (state_ == State::Open || state_ == State::Closed) return CallStatus::WrongState;
  fail(reason, message);
  return CallStatus::Done;
}

void Session::open(Millis /*now*/) {
  state_ = State::Open;
  handshake_.reset();  // nonces, keys and resume data are not needed any more
  decoder_.set_max_body(config().max_frame);
}

void Session::announce_groups(std::span<const std::string> groups, Millis now) {
  while (!groups.empty()) {
    auto chunk = groups.first(std::min(groups.size(), limits::kGroupsPerRequest));
    send_group_request(limits::kGroupAnnouncement, true, chunk, now);
    groups = groups.subspan(chunk.size());
  }
}

// ---------------------------------------------------------------------------------------------
// Messages

void Session::on_publish(const wire::Publish& publish, Millis now) {
  if (Refusal refusal = check_publish(publish)) return refuse(refusal);
  const bool sequenced = publish.qos() == Qos::AtLeastOnce;
  auto verdict = sequenced ? receive_.on_publish(publish.seq(), now) : receive_.on_unsequenced(now);
  // A QoS 0 message is acknowledged by the app as the seq it arrived after.
  std::uint64_t seq = sequenced ? publish.seq() : receive_.last_delivered();
  switch (verdict) {
    case ReceiveWindow::Verdict::NoCredit:
      return fail(Reason::CreditExceeded, "publish sent without credit");
    case ReceiveWindow::Verdict::Duplicate:
      return;  // already delivered before a resume; the next ack covers it
    case ReceiveWindow::Verdict::Deliver:
      return handler_.on_message(read_publish(publish, seq));
  }
}

void Session::on_ack(const wire::Ack& ack) {
  bool advanced = false;
  Reason reason = send_.on_ack(ack.seq(), advanced);
  if (reason != Reason::None) return fail(reason, "ack for a seq never sent");
  if (advanced) handler_.on_acked(ack.seq());
}

void Session::on_credit(const wire::Credit& credit) {
  bool was_blocked = send_.credit() == 0;
  Reason reason = send_.on_credit(credit.grant());
  if (reason != Reason::None) return fail(reason, "credit grant out of range");
  if (was_blocked) handler_.on_writable();
}

void Session::on_ping(const wire::Ping& ping, Millis now) {
  emit(build_pong(context_.encoder().start(), ping), now);
}

void Session::on_pong(const wire::Pong& pong, Millis now) {
  if (auto rtt = round_trip(pong, now)) last_rtt_ = static_cast<std::int32_t>(*rtt);
}

void Session::on_command(const wire::Command& command) {
  if (Refusal refusal = check_command(command)) return refuse(refusal);
  handler_.on_command(read_command(command));
}

void Session::on_reply(const wire::Reply& reply) {
  handler_.on_reply(read_reply(reply));
}

void Session::on_group_request(std::uint64_t request_id, bool join, const GroupNames* groups) {
  GroupRequest request;
  if (Refusal refusal = read_group_request(request_id, groups, request)) return refuse(refusal);
  handler_.on_subscribe(request_id, join, request.groups());
}

void Session::on_goaway(const wire::Goaway& goaway) {
  finish(read_goaway(goaway));
}

void Session::on_error_frame(const wire::Error& frame) {
  const ErrorBody error = read_error(frame);
  if (error.ref != 0 && state_ == State::Open)
    return handler_.on_error(error.reason, error.ref, error.message);
  finish({error.reason, true, 0, error.message});
}

void Session::acknowledge(std::uint64_t seq, Millis now) {
  if (state_ != State::Open) return;
  if (receive_.on_processed(seq, now)) flush_acks(now);
}

void Session::hold_acks(bool hold, Millis now) {
  receive_.hold_acks(hold, now);
  if (!hold) flush_acks(now);
}

void Session::confirm_through(std::uint64_t seq, Millis now) {
  if (state_ != State::Open) return;
  if (std::uint64_t ack = receive_.confirm(seq); ack != 0)
    emit(wire::CreateAck(context_.encoder().start(), ack), now);
}

void Session::flush_acks(Millis now) {
  if (state_ != State::Open) return;
  ReceiveWindow::Due due = receive_.take_due(now);
  if (due.ack != 0) emit(wire::CreateAck(context_.encoder().start(), due.ack), now);
  if (due.credit != 0) emit(wire::CreateCredit(context_.encoder().start(), due.credit), now);
}

SendStatus Session::publish(const OutgoingMessage& message, Millis now, std::uint64_t* seq) {
  // QoS 0 is never resent, so it takes no seq: it carries the last one sent, for ordering only.
  std::uint64_t next = message.qos == Qos::AtMostOnce ? send_.last_sent() : send_.next_seq();
  SendStatus status = send_publish(next, message, now);
  if (status == SendStatus::Sent && seq) *seq = next;
  return status;
}

SendStatus Session::publish_stored(std::uint64_t seq, const OutgoingMessage& message, Millis now) {
  if (message.qos != Qos::AtLeastOnce) return SendStatus::Invalid;  // only QoS 1 is stored
  return send_publish(seq, message, now);
}

SendStatus Session::send_publish(std::uint64_t seq, const OutgoingMessage& m, Millis now) {
  if (state_ != State::Open) return SendStatus::NotOpen;
  const bool sequenced = m.qos == Qos::AtLeastOnce;
  if (sequenced && seq <= send_.last_sent()) return SendStatus::OutOfOrder;
  if (send_.credit() == 0) return SendStatus::NoCredit;
  if (!publish_fields_fit(m)) return SendStatus::Invalid;

  if (emit(build_publish(context_.encoder().start(), seq, m), now) == 0)
    return SendStatus::TooLarge;
  sequenced ? send_.sent(seq) : send_.sent_unsequenced();
  return SendStatus::Sent;
}

SendStatus Session::send_shared(const SharedPublish& publish, Millis now) {
  // The rules of a QoS 0 publish(): open, one credit, within the peer's frame limit.
  if (state_ != State::Open) return SendStatus::NotOpen;
  if (send_.credit() == 0) return SendStatus::NoCredit;
  if (publish.body_size() > peer_max_frame_) return SendStatus::TooLarge;
  const SharedPublish::Encoding& encoding = publish.for_dictionary(dictionary_);
  output_.insert(output_.end(), encoding.frame.begin(), encoding.frame.end());
  context_.encoder().count_frame(publish.body_size(), encoding.wire_body, encoding.compressed);
  keepalive_.sent(now);
  send_.sent_unsequenced();
  return SendStatus::Sent;
}

SendStatus Session::send_command(const CommandInfo& command, Millis now) {
  if (role_ != Role::Server) return SendStatus::WrongRole;
  if (state_ != State::Open) return SendStatus::NotOpen;
  if (!command_fits(command)) return SendStatus::Invalid;
  const bool fits = emit(build_command(context_.encoder().start(), command), now) != 0;
  return fits ? SendStatus::Sent : SendStatus::TooLarge;
}

SendStatus Session::reply(const ReplyInfo& reply, Millis now) {
  if (role_ != Role::Client) return SendStatus::WrongRole;
  if (state_ != State::Open) return SendStatus::NotOpen;
  const bool fits = emit(build_reply(context_.encoder().start(), reply), now) != 0;
  return fits ? SendStatus::Sent : SendStatus::TooLarge;
}

SendStatus Session::subscribe(std::uint64_t request_id, bool join,
                              std::span<const std::string> groups, Millis now) {
  if (role_ != Role::Client) return SendStatus::WrongRole;
  return send_group_request(request_id, join, groups, now);
}

SendStatus Session::confirm_subscribe(std::uint64_t request_id, bool join,
                                      std::span<const std::string> groups, Millis now) {
  if (role_ != Role::Server) return SendStatus::WrongRole;
  return send_group_request(request_id, join, groups, now);
}

SendStatus Session::send_group_request(std::uint64_t request_id, bool join,
                                       std::span<const std::string> groups, Millis now) {
  if (state_ != State::Open) return SendStatus::NotOpen;
  if (!group_request_fits(request_id, groups)) return SendStatus::Invalid;
  auto& b = context_.encoder().start();
  auto names = build_group_names(b, groups);
  if (join)
    emit(wire::CreateSubscribe(b, request_id, names), now);
  else
    emit(wire::CreateUnsubscribe(b, request_id, names), now);
  return SendStatus::Sent;
}

SendStatus Session::send_error(Reason reason, std::uint64_t ref, std::string_view message,
                               Millis now) {
  if (state_ != State::Open) return SendStatus::NotOpen;
  emit(build_error(context_.encoder().start(), reason, message, ref), now);
  return SendStatus::Sent;
}

// ---------------------------------------------------------------------------------------------
// The end

CallStatus Session::goaway(Reason reason, std::uint32_t reconnect_after_ms,
                           std::string_view message) {
  if (role_ != Role::Server) return CallStatus::WrongRole;
  if (state_ == State::Closed) return CallStatus::WrongState;
  emit_frame(build_goaway(context_.encoder().start(), reason, reconnect_after_ms, message));
  finish({reason, false, reconnect_after_ms, message});
  return CallStatus::Done;
}

void Session::close(Reason reason, std::string_view message) {
  // A goodbye first says what we processed: acks still waiting for their delay go out now, so
  // the peer does not send those messages again to our next connection.
  if (state_ == State::Open && reason == Reason::NormalClose) {
    if (auto deadline = receive_.ack_deadline()) flush_acks(*deadline);
  }
  fail(reason, message);
}

void Session::refuse(const Refusal& refusal) {
  fail(refusal.reason, refusal.message);
}

void Session::fail(Reason reason, std::string_view message) {
  if (state_ == State::Closed) return;
  if (state_ != State::Idle)  // tell the peer why, unless it never heard from us
    emit_frame(build_error(context_.encoder().start(), reason, message, 0));
  finish({reason, false, 0, message});
}

void Session::finish(const CloseInfo& info) {
  state_ = State::Closed;
  handler_.on_close(info);
}

}  // namespace kite::protocol
