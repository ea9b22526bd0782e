#include "client_impl.h"

#include "byte_views.h"
#include "client_link.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "dictionaries.h"
#include "kite/protocol/limits.h"
#include "kite/protocol/reason.h"
#include "kite/tls/channel.h"
#include "start_checks.h"
#include "tls_context.h"

namespace kite {
namespace {

using protocol::Millis;
using protocol::Reason;
// Request ids live far above any uplink seq, so an error frame's `ref` names one or the other.
constexpr std::uint64_t kFirstRequestId = std::uint64_t{1} << 62;

protocol::SessionConfig session_config(const ClientOptions& options) {
  protocol::SessionConfig config;
  config.keepalive_ms = options.keepalive_ms;
  config.receive_window =
      std::clamp<std::uint32_t>(options.credit_window, 1, protocol::limits::kMaxCredit);
  config.handshake_timeout = options.connect_timeout_ms;
  return config;
}

std::uint64_t seed_from(const ClientOptions& options) {
  if (options.jitter_seed != 0) return options.jitter_seed;
  std::uint64_t seed = 0;
  protocol::random_bytes({reinterpret_cast<std::uint8_t*>(&seed), sizeof seed});
  return seed ^
         static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Entry points

Client::Impl::Scope::Scope(Impl& impl) : impl_(impl), lock_(impl.mutex_) {
  ++impl_.depth_;
}

Client::Impl::Scope::~Scope() {
  if (--impl_.depth_ != 0) return;
  if (impl_.on_loop_thread()) {
    impl_.settle();
  } else if (impl_.started_ && !impl_.handles_closed_) {
    uv_async_send(&impl_.wake_);
  }
}

Client::Impl::Impl(ClientOptions options, uv_loop_t* loop)
    : options_(std::move(options)),
      loop_(loop),
      backoff_(options_.backoff_initial_ms, options_.backoff_max_ms, seed_from(options_)),
      queue_(options_.max_queued, options_.max_queued_bytes),
      next_request_id_(kFirstRequestId) {
  if (!loop_) {
    own_loop_ = std::make_unique<uv_loop_t>();
    uv_loop_init(own_loop_.get());
    loop_ = own_loop_.get();
  } else {
    loop_thread_ = std::this_thread::get_id();
  }
  uv_timer_init(loop_, &timer_);
  uv_async_init(loop_, &wake_, on_wake);
  timer_.data = wake_.data = this;
  open_handles_ = 2;
}

Client::Impl::~Impl() {
  if (own_loop_) {
    // Thread mode: detach() ran the loop to its end; close what a never-started client holds.
    if (!handles_closed_) {
      close_handles();
      uv_run(loop_, UV_RUN_DEFAULT);
    }
    uv_loop_close(loop_);
  }
}

bool Client::Impl::on_loop_thread() const {
  return std::this_thread::get_id() == loop_thread_;
}

Millis Client::Impl::now() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

// ---------------------------------------------------------------------------------------------
// Public API

void Client::Impl::set_message_handler(std::function<void(const Message&)> handler) {
  Scope scope(*this);
  message_handler_ = std::move(handler);
}

void Client::Impl::set_command_handler(std::function<Reply(const Command&)> handler) {
  Scope scope(*this);
  command_handler_ = std::move(handler);
}

void Client::Impl::set_state_handler(std::function<void(const StateChange&)> handler) {
  Scope scope(*this);
  state_handler_ = std::move(handler);
}

Error Client::Impl::start() {
  std::unique_lock lock(mutex_);
  if (stopping_ || stopped_) return Error::Stopped;
  if (started_) return Error::Ok;
  // libuv's rule: an error here fires no callback, so the reason is kept for start_error().
  if (options_.url.starts_with("wss://")) options_.tls.enabled = true;  // implied
  start_error_ = sdk::check_options(options_, credentials_);
  if (start_error_.empty()) start_error_ = sdk::read_endpoint(options_, endpoint_);
  if (start_error_.empty() && endpoint_.tls)
    tls_context_ = sdk::make_tls_context(options_, endpoint_.host, start_error_);
  protocol::SessionConfig config = session_config(options_);
  if (start_error_.empty())
    start_error_ = sdk::load_dictionaries(options_.dictionary_files, config);
  if (start_error_.empty() && !options_.session_file.empty()) start_error_ = restore_session();
  if (!start_error_.empty()) return Error::Invalid;
  context_.emplace(std::move(config));
  started_ = true;
  self_ = shared_from_this();
  if (own_loop_) {
    thread_ = std::thread([this] {
      {
        Scope scope(*this);
        loop_thread_ = std::this_thread::get_id();
        begin_attempt();
      }
      uv_run(loop_, UV_RUN_DEFAULT);
    });
    return Error::Ok;
  }
  lock.unlock();
  Scope scope(*this);
  begin_attempt();
  return Error::Ok;
}

std::string Client::Impl::start_error() const {
  std::lock_guard lock(mutex_);
  return start_error_;
}

void Client::Impl::stop() {
  Scope scope(*this);
  if (!started_) {
    stopped_ = stopping_ = true;
    return;
  }
  stopping_ = true;
}

void Client::Impl::detach() {
  {
    std::lock_guard lock(mutex_);
    message_handler_ = nullptr;
    command_handler_ = nullptr;
    state_handler_ = nullptr;
    // On the caller's loop the handles close after this returns: the Impl waits for them.
    if (!own_loop_ && !self_ && open_handles_ > 0) self_ = shared_from_this();
  }
  stop();
  if (thread_.joinable()) thread_.join();
}

Error Client::Impl::publish(const Publish& message, Completion done) {
  Scope scope(*this);
  if (!started_) return stopped_ ? Error::Stopped : Error::NotStarted;
  if (stopping_ || stopped_) return Error::Stopped;
  if (message.topic.size() > protocol::limits::kTopic ||
      message.content_type.size() > protocol::limits::kContentType)
    return Error::Invalid;
  if (message.payload.size() > context_->config().max_frame) return Error::TooLarge;
  if (Error error = queue_.push(message, std::move(done), now()); error != Error::Ok) return error;
  // With a session file, a message the app was told is queued survives a crash.
  if (session_file_ && !save_session(/*force=*/true)) {
    queue_.drop_newest();
    return Error::NotSaved;
  }
  return Error::Ok;
}

Error Client::Impl::subscribe(bool join, std::string_view group, Completion done) {
  Scope scope(*this);
  if (!started_) return stopped_ ? Error::Stopped : Error::NotStarted;
  if (stopping_ || stopped_) return Error::Stopped;
  if (group.empty() || group.size() > protocol::limits::kGroupName ||
      std::any_of(group.begin(), group.end(),
                  [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }))
    return Error::Invalid;
  if (groups_.size() >= options_.max_queued) return Error::QueueFull;
  groups_.push_back({next_request_id_++, join, std::string(group), std::move(done)});
  return Error::Ok;
}

State Client::Impl::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

std::size_t Client::Impl::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

// ---------------------------------------------------------------------------------------------
// Settling: everything that touches libuv or calls the app back outside a session callback.

void Client::Impl::settle() {
  if (settling_ || handles_closed_) return;
  settling_ = true;
  for (;;) {
    if (ending_) end_connection();
    if (stopping_ && !stopped_) {
      if (session_ && session_->state() != protocol::Session::State::Closed) {
        session_->close(Reason::NormalClose, "client stopped");  // -> on_close -> ending_
        continue;
      }
      if (link_ && !link_->closing) {
        ending_ = Ending{"Stopped", "stopped by the app"};
        continue;
      }
      if (!session_) finish_stop("Stopped", "stopped by the app");
    }
    pump();
    if (save_session(/*force=*/false)) flush();
    // App callbacks last, on a consistent client; they may add work, hence the loop.
    std::vector<sdk::Finished> finished;
    finished.swap(finished_);
    std::vector<Notice> notices;
    notices.swap(notices_);
    const bool called_back = !finished.empty() || !notices.empty();
    for (auto& f : finished) f.done(f.error, f.detail);
    for (auto& n : notices) {
      // The delay the app is told counts from when it is told: the callbacks before this one
      // may have taken a while, and the next attempt must not come sooner than announced.
      if (n.state == State::Disconnected && reconnect_at_ != kNever)
        reconnect_at_ = std::max(reconnect_at_, now() + static_cast<Millis>(n.retry_in_ms));
      if (state_handler_)
        state_handler_(StateChange{n.state, n.reason, n.detail, n.resumed, n.retry_in_ms,
                                   n.tls_resumed, n.dictionary});
    }
    // A callback may have published, joined or stopped: go round once more to act on it.
    if (!called_back && !ending_ && !(stopping_ && !stopped_)) break;
  }
  if (stopped_) {
    close_handles();
  } else {
    rearm_timer();
  }
  settling_ = false;
}

void Client::Impl::notify(Notice notice) {
  state_ = notice.state;
  notices_.push_back(std::move(notice));
}

// ---------------------------------------------------------------------------------------------
// Session events

void Client::Impl::on_open(const protocol::OpenInfo& info) {
  Millis t = now();
  opened_at_ = t;
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
  const bool tls_resumed = link_ && link_->tls() && link_->tls()->resumed();
  notify({State::Connected, {}, {}, info.resumed, 0, tls_resumed, info.dictionary});
}

void Client::Impl::on_message(const protocol::IncomingMessage& m) {
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
  if (session_) session_->acknowledge(m.seq, now());
}

void Client::Impl::on_acked(std::uint64_t seq) {
  queue_.acked(seq, finished_);
}

void Client::Impl::on_command(const protocol::CommandInfo& command) {
  Reply reply{501, "this device has no command handler"};
  if (command_handler_)
    reply = command_handler_(Command{command.name, text(command.payload), command.timeout_ms});
  if (!session_) return;
  if (session_->reply({command.id, reply.status, bytes(reply.payload)}, now()) ==
      protocol::SendStatus::TooLarge) {
    // Said now rather than left to the backend's timeout.
    const std::string why = "the device's reply (" + std::to_string(reply.payload.size()) +
                            " bytes) is larger than a frame may carry";
    session_->reply({command.id, kReplyTooLarge, bytes(why)}, now());
  }
}

void Client::Impl::on_subscribe(std::uint64_t request_id, bool /*join*/,
                                std::span<const std::string_view> /*groups*/) {
  auto it = std::find_if(groups_.begin(), groups_.end(),
                         [&](const GroupRequest& r) { return r.id == request_id; });
  if (it == groups_.end()) return;
  if (it->done) finished_.push_back({std::move(it->done), Error::Ok, {}});
  groups_.erase(it);
}

void Client::Impl::on_error(Reason reason, std::uint64_t ref, std::string_view message) {
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

void Client::Impl::on_close(const protocol::CloseInfo& info) {
  if (link_) link_->wire.end(info.reason);  // over WebSocket, its Close carries the reason
  if (ending_) return;
  ending_ = Ending{std::string(protocol::reason_name(info.reason)), std::string(info.message),
                   info.reason, info.reconnect_after_ms};
}

}  // namespace kite
