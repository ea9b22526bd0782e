#include "kite/protocol/session.h"

#include <algorithm>
#include <array>
#include <limits>

#include "announced.h"
#include "fb_views.h"
#include "kite/protocol/device_id.h"
#include "publish_body.h"

namespace kite::protocol {
namespace {

bool printable_id(std::string_view id, std::size_t max) {
  if (id.empty() || id.size() > max) return false;
  return std::none_of(id.begin(), id.end(), [](char c) {
    auto b = static_cast<unsigned char>(c);
    return b < 0x20 || b == 0x7f;
  });
}

std::string_view clip(std::string_view s, std::size_t max) {
  return s.substr(0, max);
}

flatbuffers::Offset<flatbuffers::String> string_or_null(flatbuffers::FlatBufferBuilder& b,
                                                        std::string_view s) {
  return s.empty() ? 0 : b.CreateString(s.data(), s.size());
}

flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> bytes_or_null(
    flatbuffers::FlatBufferBuilder& b, std::span<const std::uint8_t> bytes) {
  return bytes.empty() ? 0 : b.CreateVector(bytes.data(), bytes.size());
}

}  // namespace

bool reconnect_allowed(Reason reason) {
  switch (reason) {
    case Reason::Replaced:
    case Reason::Revoked:
    case Reason::AuthFailed:
    case Reason::TokenExpired:
    case Reason::UnsupportedVersion:
    case Reason::InvalidDeviceId:
      return false;
    default:
      return true;
  }
}

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
    : role_(role),
      state_(role == Role::Client ? State::Idle : State::AwaitHello),
      context_(context),
      handler_(handler),
      handshake_(std::make_unique<Handshake>()),
      decoder_(std::min(context.config().max_frame, limits::kHandshakeMaxBody)) {
  handshake_->deadline = now + config().handshake_timeout;
}

Session::Session(Role role, SessionConfig config, SessionHandler& handler, Millis now)
    : role_(role),
      state_(role == Role::Client ? State::Idle : State::AwaitHello),
      owned_context_(std::make_unique<SessionContext>(std::move(config))),
      context_(*owned_context_),
      handler_(handler),
      handshake_(std::make_unique<Handshake>()),
      decoder_(std::min(context_.config().max_frame, limits::kHandshakeMaxBody)) {
  handshake_->deadline = now + this->config().handshake_timeout;
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
    if (result.status == DecodeResult::Status::Error) {
      fail(result.error, "undecodable frame");
      return;
    }
    const wire::Frame* frame = nullptr;
    Reason reason = context_.bodies().decode(result.frame, decoder_.max_body(), frame);
    if (reason != Reason::None) {
      fail(reason, "undecodable frame body");
      return;
    }
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
  if (keepalive_.ping_due(now)) {
    auto& b = context_.encoder().start();
    emit(wire::CreatePing(b, static_cast<std::uint64_t>(now)), now);
  }
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
// Dispatch: which message is allowed in which state, in one place.

void Session::handle_frame(const wire::Frame& frame, Millis now) {
  using wire::Message;
  const bool client = role_ == Role::Client;
  const bool open = state_ == State::Open;
  switch (frame.message_type()) {
    case Message::Hello:
      if (!client && state_ == State::AwaitHello) return on_hello(*frame.message_as_Hello(), now);
      break;
    case Message::Challenge:
      if (client && state_ == State::HelloSent && method_ == AuthMethod::Hmac)
        return on_challenge(*frame.message_as_Challenge(), now);
      break;
    case Message::Auth:
      if (!client && state_ == State::AwaitAuth) return on_auth(*frame.message_as_Auth());
      break;
    case Message::Welcome:
      if (client && (state_ == State::HelloSent || state_ == State::AuthSent))
        return on_welcome(*frame.message_as_Welcome(), now);
      break;
    case Message::Goaway:
      if (client) return on_goaway(*frame.message_as_Goaway());
      break;
    case Message::Error:
      return on_error_frame(*frame.message_as_Error());
    case Message::Publish:
      if (open) return on_publish(*frame.message_as_Publish(), now);
      break;
    case Message::Ack:
      if (open) return on_ack(*frame.message_as_Ack());
      break;
    case Message::Credit:
      if (open) return on_credit(*frame.message_as_Credit());
      break;
    case Message::Ping:
      if (open) {
        auto& b = context_.encoder().start();
        emit(wire::CreatePong(b, frame.message_as_Ping()->token()), now);
        return;
      }
      break;
    case Message::Pong:
      if (open) {
        // The token is the peer's echo of our clock; a hostile one must not overflow the math.
        std::uint64_t sent_at = frame.message_as_Pong()->token();
        if (now >= 0 && sent_at <= static_cast<std::uint64_t>(now))
          last_rtt_ = now - static_cast<Millis>(sent_at);
        return;
      }
      break;
    case Message::Command:
      if (open && client) {
        const auto& command = *frame.message_as_Command();
        if (command.id() == 0) return fail(Reason::InvalidId, "command id 0");
        if (length(command.name()) > limits::kCommandName)
          return fail(Reason::LimitExceeded, "command name too long");
        return handler_.on_command(
            {command.id(), view(command.name()), view(command.payload()), command.timeout_ms()});
      }
      break;
    case Message::Reply:
      if (open && !client) {
        const auto& reply = *frame.message_as_Reply();
        return handler_.on_reply({reply.id(), reply.status(), view(reply.payload())});
      }
      break;
    case Message::Subscribe:
      if (open) {
        const auto& s = *frame.message_as_Subscribe();
        return on_subscribe_frame(s.request_id(), true, s.groups());
      }
      break;
    case Message::Unsubscribe:
      if (open) {
        const auto& s = *frame.message_as_Unsubscribe();
        return on_subscribe_frame(s.request_id(), false, s.groups());
      }
      break;
    default:
      break;
  }
  fail(Reason::UnexpectedMessage, wire::EnumNameMessage(frame.message_type()));
}

// ---------------------------------------------------------------------------------------------
// Handshake, client side

void Session::start(const ClientCredentials& credentials, const ResumeRequest& resume, Millis now) {
  if (role_ != Role::Client || state_ != State::Idle) return;
  device_id_ = credentials.device_id;
  method_ = credentials.method;
  handshake_->key = credentials.key;
  handshake_->client_nonce = credentials.nonce;
  handshake_->resume = resume;

  auto& b = context_.encoder().start();
  auto id = b.CreateString(device_id_);
  auto nonce = method_ == AuthMethod::Hmac ? bytes_or_null(b, handshake_->client_nonce) : 0;
  auto token = method_ == AuthMethod::Token ? string_or_null(b, credentials.token) : 0;
  auto resume_token = bytes_or_null(b, resume.token);
  std::vector<std::uint16_t> ids;
  if (config().dictionaries) ids = config().dictionaries->ids();
  auto dictionaries = ids.empty() ? 0 : b.CreateVector(ids);
  auto agent = string_or_null(b, credentials.agent);
  emit(wire::CreateHello(b, kProtocolVersion, id, method_, nonce, token, config().keepalive_ms,
                         config().max_frame, config().receive_window, resume_token,
                         resume.last_received_seq, resume.store_epoch, dictionaries, agent),
       now);
  state_ = State::HelloSent;
  handshake_->deadline = now + config().handshake_timeout;
}

void Session::on_challenge(const wire::Challenge& challenge, Millis now) {
  auto server_nonce = view(challenge.server_nonce());
  if (server_nonce.size() != kNonceSize) return fail(Reason::LimitExceeded, "nonce size");
  std::copy(server_nonce.begin(), server_nonce.end(), handshake_->server_nonce.begin());
  Proof proof =
      client_proof(handshake_->key, device_id_, handshake_->client_nonce, handshake_->server_nonce);
  auto& b = context_.encoder().start();
  emit(wire::CreateAuth(b, b.CreateVector(proof.data(), proof.size())), now);
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
  if (view(welcome.resume_token()).size() > limits::kResumeToken ||
      (welcome.groups() && welcome.groups()->size() > limits::kGroupsPerDevice))
    return fail(Reason::LimitExceeded, "welcome field above its limit");
  std::uint16_t dictionary = welcome.dictionary();
  if (dictionary != 0 &&
      (!config().dictionaries || !config().dictionaries->compression(dictionary)))
    return fail(Reason::UnknownDictionary, "server chose a dictionary we do not hold");

  const bool resumed = welcome.resumed();
  ReceiveWindow::Settings settings{config().receive_window, config().ack_every, config().ack_delay};
  receive_.open(settings, resumed ? handshake_->resume.last_received_seq : 0);
  if (welcome.last_received_seq() > limits::kMaxSeq || welcome.next_seq() > limits::kMaxSeq)
    return fail(Reason::InvalidSequence, "sequence above 2^63 - 1");
  std::uint64_t next = welcome.last_received_seq() + 1;
  if (resumed) next = std::max(next, handshake_->resume.next_seq);
  send_.open(next, welcome.last_received_seq(), announced_credit(welcome.credit()));
  peer_max_frame_ = announced_max_frame(welcome.max_frame());
  dictionary_ = dictionary;
  keepalive_.start(now, std::max<std::uint32_t>(welcome.keepalive_ms(), 1),
                   config().keepalive_factor_percent, /*sends_pings=*/true);

  OpenInfo info{resumed,
                view(welcome.resume_token()),
                welcome.store_epoch(),
                welcome.last_received_seq(),
                welcome.keepalive_ms(),
                dictionary,
                {}};
  if (welcome.groups())
    for (const auto* group : *welcome.groups()) info.groups.push_back(view(group));
  info.groups_total = std::max<std::size_t>(welcome.groups_total(), info.groups.size());
  open(now);
  handler_.on_open(info);
}

// ---------------------------------------------------------------------------------------------
// Handshake, server side

void Session::on_hello(const wire::Hello& hello, Millis /*now*/) {
  if (hello.version() != kProtocolVersion)
    return fail(Reason::UnsupportedVersion, "this server speaks protocol version 1");
  std::string_view id = view(hello.device_id());
  if (!valid_device_id(id)) return fail(Reason::InvalidDeviceId, kDeviceIdRule);
  method_ = hello.method();
  if (method_ == AuthMethod::Hmac && view(hello.client_nonce()).size() != kNonceSize)
    return fail(Reason::LimitExceeded, "client nonce must be 32 bytes");
  if (method_ == AuthMethod::Token && length(hello.token()) == 0)
    return fail(Reason::AuthFailed, "token method without a token");
  if (method_ > AuthMethod::Tls) return fail(Reason::AuthFailed, "unknown auth method");
  if (view(hello.resume_token()).size() > limits::kResumeToken ||
      length(hello.agent()) > limits::kAgent ||
      (hello.dictionaries() && hello.dictionaries()->size() > limits::kDictionaries))
    return fail(Reason::LimitExceeded, "hello field above its limit");

  device_id_.assign(id);
  if (method_ == AuthMethod::Hmac) {
    auto nonce = view(hello.client_nonce());
    std::copy(nonce.begin(), nonce.end(), handshake_->client_nonce.begin());
  }
  if (hello.last_received_seq() > limits::kMaxSeq)
    return fail(Reason::InvalidSequence, "sequence above 2^63 - 1");
  handshake_->peer_last_received = hello.last_received_seq();
  handshake_->peer_credit = announced_credit(hello.credit());
  handshake_->requested_keepalive = hello.keepalive_ms();
  peer_max_frame_ = announced_max_frame(hello.max_frame());
  handshake_->peer_dictionaries.clear();
  if (hello.dictionaries())
    handshake_->peer_dictionaries.assign(hello.dictionaries()->begin(),
                                         hello.dictionaries()->end());

  state_ = State::Deciding;
  handler_.on_hello({device_id_, method_, view(hello.token()), view(hello.resume_token()),
                     hello.last_received_seq(), hello.store_epoch(), hello.keepalive_ms(),
                     view(hello.agent())});
}

void Session::challenge(const DeviceKey& key, const Nonce& server_nonce) {
  if (role_ != Role::Server || state_ != State::Deciding || method_ != AuthMethod::Hmac) return;
  handshake_->key = key;
  handshake_->server_nonce = server_nonce;
  auto& b = context_.encoder().start();
  emit_frame(wire::CreateChallenge(
      b, b.CreateVector(handshake_->server_nonce.data(), handshake_->server_nonce.size())));
  state_ = State::AwaitAuth;
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

void Session::accept(const WelcomeParams& welcome, Millis now) {
  if (role_ != Role::Server || state_ != State::Deciding) return;
  // An Hmac device is only accepted after its proof: no path around the challenge.
  if (method_ == AuthMethod::Hmac && !handshake_->proven)
    return fail(Reason::Internal, "accept() before the device proved its key");

  std::uint32_t keepalive =
      handshake_->requested_keepalive ? handshake_->requested_keepalive : config().keepalive_ms;
  keepalive = std::clamp(keepalive, config().min_keepalive_ms,
                         std::max(config().min_keepalive_ms, config().keepalive_ms));
  std::uint16_t dictionary = config().compression.dictionary;
  if (dictionary != 0 &&
      std::find(handshake_->peer_dictionaries.begin(), handshake_->peer_dictionaries.end(),
                dictionary) == handshake_->peer_dictionaries.end())
    dictionary = 0;

  const std::size_t listed = emit_welcome(welcome, keepalive, dictionary);
  if (listed == kNotEmitted) return fail(Reason::Internal, "welcome does not fit the handshake");

  std::uint64_t peer_holds = welcome.resumed ? handshake_->peer_last_received : 0;
  send_.open(welcome.next_seq, peer_holds, handshake_->peer_credit);
  ReceiveWindow::Settings settings{config().receive_window, config().ack_every, config().ack_delay};
  receive_.open(settings, welcome.last_received_seq);
  dictionary_ = dictionary;
  keepalive_.start(now, keepalive, config().keepalive_factor_percent, /*sends_pings=*/false);
  open(now);
  announce_groups(std::span(welcome.groups).subspan(listed), now);

  OpenInfo info{welcome.resumed,
                welcome.resume_token,
                welcome.store_epoch,
                peer_holds,
                keepalive,
                dictionary,
                {}};
  for (const auto& group : welcome.groups) info.groups.push_back(group);
  info.groups_total = welcome.groups.size();
  handler_.on_open(info);
}

void Session::reject(Reason reason, std::string_view message) {
  if (role_ != Role::Server || state_ == State::Open || state_ == State::Closed) return;
  fail(reason, message);
}

void Session::open(Millis /*now*/) {
  state_ = State::Open;
  handshake_.reset();  // nonces, keys and resume data are not needed any more
  decoder_.set_max_body(config().max_frame);
}

// ---------------------------------------------------------------------------------------------
// Messages

void Session::on_publish(const wire::Publish& publish, Millis now) {
  const bool sequenced = publish.qos() == Qos::AtLeastOnce;
  if (publish.qos() > Qos::AtLeastOnce) return fail(Reason::LimitExceeded, "unknown qos");
  if ((sequenced && publish.seq() == 0) || publish.seq() > limits::kMaxSeq)
    return fail(Reason::InvalidSequence, "QoS 1 publish seq must be in 1 .. 2^63 - 1");
  if (length(publish.topic()) > limits::kTopic ||
      length(publish.content_type()) > limits::kContentType ||
      length(publish.conflation_key()) > limits::kConflationKey ||
      length(publish.message_id()) > limits::kMessageId ||
      length(publish.target()) > limits::kDeviceId)
    return fail(Reason::LimitExceeded, "publish field above its limit");
  auto verdict = sequenced ? receive_.on_publish(publish.seq(), now) : receive_.on_unsequenced(now);
  // A QoS 0 message is acknowledged by the app as the seq it arrived after.
  std::uint64_t seq = sequenced ? publish.seq() : receive_.last_delivered();
  switch (verdict) {
    case ReceiveWindow::Verdict::NoCredit:
      return fail(Reason::CreditExceeded, "publish sent without credit");
    case ReceiveWindow::Verdict::Duplicate:
      return;  // already delivered before a resume; the next ack covers it
    case ReceiveWindow::Verdict::Deliver:
      handler_.on_message({seq, publish.qos(), publish.ttl_ms(), view(publish.topic()),
                           view(publish.content_type()), view(publish.conflation_key()),
                           view(publish.message_id()), view(publish.payload()),
                           view(publish.target())});
      return;
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

void Session::on_subscribe_frame(
    std::uint64_t request_id, bool join,
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* groups) {
  if (request_id == 0) return fail(Reason::InvalidId, "request id 0");
  std::array<std::string_view, limits::kGroupsPerRequest> names;
  std::size_t count = groups ? groups->size() : 0;
  if (count > names.size()) return fail(Reason::LimitExceeded, "too many groups in one request");
  for (std::size_t i = 0; i < count; ++i) {
    names[i] = view(groups->Get(static_cast<flatbuffers::uoffset_t>(i)));
    if (!printable_id(names[i], limits::kGroupName))
      return fail(Reason::LimitExceeded, "group name must be 1-128 printable bytes");
  }
  handler_.on_subscribe(request_id, join, std::span(names.data(), count));
}

void Session::on_goaway(const wire::Goaway& goaway) {
  finish({goaway.reason(), true, goaway.reconnect_after_ms(),
          clip(view(goaway.message()), limits::kErrorMessage)});
}

void Session::on_error_frame(const wire::Error& error) {
  auto message = clip(view(error.message()), limits::kErrorMessage);
  if (error.ref() != 0 && state_ == State::Open)
    return handler_.on_error(error.reason(), error.ref(), message);
  finish({error.reason(), true, 0, message});
}

void Session::acknowledge(std::uint64_t seq, Millis now) {
  if (state_ != State::Open) return;
  if (receive_.on_processed(seq, now)) flush_acks(now);
}

void Session::flush_acks(Millis now) {
  if (state_ != State::Open) return;
  ReceiveWindow::Due due = receive_.take_due(now);
  if (due.ack != 0) {
    auto& b = context_.encoder().start();
    emit(wire::CreateAck(b, due.ack), now);
  }
  if (due.credit != 0) {
    auto& b = context_.encoder().start();
    emit(wire::CreateCredit(b, due.credit), now);
  }
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

  auto& b = context_.encoder().start();
  if (emit(build_publish(b, seq, m), now) == 0) return SendStatus::TooLarge;
  if (sequenced)
    send_.sent(seq);
  else
    send_.sent_unsequenced();
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
  if (role_ != Role::Server || state_ != State::Open) return SendStatus::NotOpen;
  if (command.id == 0 || command.name.size() > limits::kCommandName) return SendStatus::Invalid;
  auto& b = context_.encoder().start();
  auto name = string_or_null(b, command.name);
  auto payload = bytes_or_null(b, command.payload);
  if (emit(wire::CreateCommand(b, command.id, name, payload, command.timeout_ms), now) == 0)
    return SendStatus::TooLarge;
  return SendStatus::Sent;
}

SendStatus Session::reply(const ReplyInfo& reply, Millis now) {
  if (role_ != Role::Client || state_ != State::Open) return SendStatus::NotOpen;
  auto& b = context_.encoder().start();
  auto payload = bytes_or_null(b, reply.payload);
  if (emit(wire::CreateReply(b, reply.id, reply.status, payload), now) == 0)
    return SendStatus::TooLarge;
  return SendStatus::Sent;
}

SendStatus Session::subscribe(std::uint64_t request_id, bool join,
                              std::span<const std::string> groups, Millis now) {
  if (role_ != Role::Client) return SendStatus::NotOpen;
  return confirm_subscribe(request_id, join, groups, now);
}

SendStatus Session::confirm_subscribe(std::uint64_t request_id, bool join,
                                      std::span<const std::string> groups, Millis now) {
  if (state_ != State::Open) return SendStatus::NotOpen;
  if (request_id == 0 || groups.size() > limits::kGroupsPerRequest) return SendStatus::Invalid;
  for (const auto& group : groups)
    if (!printable_id(group, limits::kGroupName)) return SendStatus::Invalid;
  auto& b = context_.encoder().start();
  std::vector<flatbuffers::Offset<flatbuffers::String>> names;
  names.reserve(groups.size());
  for (const auto& group : groups) names.push_back(b.CreateString(group));
  auto vector = b.CreateVector(names);
  if (join)
    emit(wire::CreateSubscribe(b, request_id, vector), now);
  else
    emit(wire::CreateUnsubscribe(b, request_id, vector), now);
  return SendStatus::Sent;
}

SendStatus Session::send_error(Reason reason, std::uint64_t ref, std::string_view message,
                               Millis now) {
  if (state_ != State::Open) return SendStatus::NotOpen;
  auto& b = context_.encoder().start();
  auto text = string_or_null(b, clip(message, limits::kErrorMessage));
  emit(wire::CreateError(b, reason, text, ref), now);
  return SendStatus::Sent;
}

// ---------------------------------------------------------------------------------------------
// The end

void Session::goaway(Reason reason, std::uint32_t reconnect_after_ms, std::string_view message) {
  if (role_ != Role::Server || state_ == State::Closed) return;
  auto& b = context_.encoder().start();
  auto text = string_or_null(b, clip(message, limits::kErrorMessage));
  emit_frame(wire::CreateGoaway(b, reason, reconnect_after_ms, text));
  finish({reason, false, reconnect_after_ms, message});
}

void Session::close(Reason reason, std::string_view message) {
  // A goodbye first says what we processed: acks still waiting for their delay go out now, so
  // the peer does not send those messages again to our next connection.
  if (state_ == State::Open && reason == Reason::NormalClose) {
    if (auto deadline = receive_.ack_deadline()) flush_acks(*deadline);
  }
  fail(reason, message);
}

void Session::fail(Reason reason, std::string_view message) {
  if (state_ == State::Closed) return;
  if (state_ != State::Idle) {  // tell the peer why, unless it never heard from us
    auto& b = context_.encoder().start();
    auto text = string_or_null(b, clip(message, limits::kErrorMessage));
    emit_frame(wire::CreateError(b, reason, text, 0));
  }
  finish({reason, false, 0, message});
}

void Session::finish(const CloseInfo& info) {
  state_ = State::Closed;
  handler_.on_close(info);
}

}  // namespace kite::protocol
