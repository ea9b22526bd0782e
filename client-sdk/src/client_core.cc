// ClientCore: the app's calls, settling, and time.
#include "client_core.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "dictionaries.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/limits.h"
#include "start_checks.h"
#include "tls_context.h"

namespace kite::sdk {
namespace {

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

ClientCore::ClientCore(ClientOptions options)
    : options_(std::move(options)),
      backoff_(options_.backoff_initial_ms, options_.backoff_max_ms, seed_from(options_)),
      queue_(options_.max_queued, options_.max_queued_bytes),
      next_request_id_(kFirstRequestId) {}

ClientCore::~ClientCore() = default;

// ---------------------------------------------------------------------------------------------
// The app's calls

void ClientCore::set_message_handler(std::function<void(const Message&)> handler) {
  message_handler_ = std::move(handler);
}

void ClientCore::set_command_handler(std::function<Reply(const Command&)> handler) {
  command_handler_ = std::move(handler);
}

void ClientCore::set_state_handler(std::function<void(const StateChange&)> handler) {
  state_handler_ = std::move(handler);
}

void ClientCore::detach_handlers() {
  message_handler_ = nullptr;
  command_handler_ = nullptr;
  state_handler_ = nullptr;
}

Error ClientCore::start(Millis now) {
  if (stopping_ || stopped_) return Error::Stopped;
  if (started_) return Error::Ok;
  advance(now);
  // libuv's rule: an error here fires no callback, so the reason is kept for start_error().
  if (options_.url.starts_with("wss://")) options_.tls.enabled = true;  // implied
  start_error_ = check_options(options_, credentials_);
  if (start_error_.empty()) start_error_ = read_endpoint(options_, endpoint_);
  if (start_error_.empty() && endpoint_.tls)
    tls_context_ = make_tls_context(options_, endpoint_.host, start_error_);
  protocol::SessionConfig config = session_config(options_);
  if (start_error_.empty()) start_error_ = load_dictionaries(options_.dictionary_files, config);
  if (start_error_.empty() && !options_.session_file.empty()) start_error_ = restore_session();
  if (!start_error_.empty()) return Error::Invalid;
  context_.emplace(std::move(config));
  started_ = true;
  begin_attempt();
  return Error::Ok;
}

void ClientCore::stop() {
  if (!started_) stopped_ = true;
  stopping_ = true;
}

Error ClientCore::publish(const Publish& message, Completion done) {
  if (!started_) return stopped_ ? Error::Stopped : Error::NotStarted;
  if (stopping_ || stopped_) return Error::Stopped;
  if (message.topic.size() > protocol::limits::kTopic ||
      message.content_type.size() > protocol::limits::kContentType)
    return Error::Invalid;
  if (message.payload.size() > context_->config().max_frame) return Error::TooLarge;
  if (Error error = queue_.push(message, std::move(done), now_); error != Error::Ok) return error;
  // With a session file, a message the app was told is queued survives a crash.
  if (session_file_ && !save_session(/*force=*/true)) {
    queue_.drop_newest();
    return Error::NotSaved;
  }
  return Error::Ok;
}

Error ClientCore::subscribe(bool join, std::string_view group, Completion done) {
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

// ---------------------------------------------------------------------------------------------
// Settling: what is due, then the app's callbacks, until nothing is left.

void ClientCore::settle(Millis now) {
  advance(now);
  if (settling_ || !started_) return;
  settling_ = true;
  for (;;) {
    if (ending_) end_connection();
    if (stopping_ && !stopped_) {
      if (session_ && session_->state() != protocol::Session::State::Closed) {
        session_->close(Reason::NormalClose, "client stopped");  // -> on_close -> ending_
        continue;
      }
      if (connection_) {
        ending_ = Ending{"Stopped", "stopped by the app"};
        continue;
      }
      finish_stop("Stopped", "stopped by the app");
    }
    pump();
    if (save_session(/*force=*/false)) flush();
    // App callbacks last, on a consistent client; they may add work, hence the loop.
    const bool called_back = !finished_.empty() || !notices_.empty();
    call_back();
    // A callback may have published, joined or stopped: go round once more to act on it.
    if (!called_back && !ending_ && !(stopping_ && !stopped_)) break;
  }
  settling_ = false;
}

void ClientCore::call_back() {
  std::vector<Finished> finished;
  finished.swap(finished_);
  std::vector<Notice> notices;
  notices.swap(notices_);
  for (auto& f : finished) f.done(f.error, f.detail);
  for (auto& n : notices) {
    // The delay the app is told counts from when it is told: the callbacks before this one may
    // have taken a while, and the next attempt must not come sooner than announced.
    if (n.state == State::Disconnected && reconnect_at_ != kNever)
      reconnect_at_ = std::max(reconnect_at_, now_ + static_cast<Millis>(n.retry_in_ms));
    if (state_handler_)
      state_handler_(StateChange{n.state, n.reason, n.detail, n.resumed, n.retry_in_ms,
                                 n.tls_resumed, n.dictionary});
  }
}

void ClientCore::notify(Notice notice) {
  state_ = notice.state;
  notices_.push_back(std::move(notice));
}

// ---------------------------------------------------------------------------------------------
// What the driver takes

std::optional<DialTarget> ClientCore::take_dial() {
  if (!dial_wanted_) return std::nullopt;
  dial_wanted_ = false;
  if (endpoint_.proxied()) return DialTarget{endpoint_.proxy_host, endpoint_.proxy_port};
  return DialTarget{endpoint_.host, endpoint_.port};
}

void ClientCore::take_output(std::vector<std::uint8_t>& out) {
  if (output_.empty()) return;
  if (out.empty()) {
    out.swap(output_);
  } else {
    out.insert(out.end(), output_.begin(), output_.end());
  }
  output_ = {};  // an idle client holds no buffer
}

bool ClientCore::take_close(bool& graceful) {
  if (!close_wanted_) return false;
  close_wanted_ = false;
  graceful = close_graceful_;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Time

Millis ClientCore::next_deadline() const {
  Millis deadline = std::numeric_limits<Millis>::max();
  if (reconnect_at_ != kNever) deadline = std::min(deadline, reconnect_at_);
  if (connect_deadline_ != kNever) deadline = std::min(deadline, connect_deadline_);
  if (session_) deadline = std::min(deadline, session_->next_deadline());
  if (session_unsaved())  // a write the budget put off: due now at the earliest
    deadline = std::min(deadline, std::max(now_, session_file_->next_write_at()));
  return deadline == std::numeric_limits<Millis>::max() ? kNever : deadline;
}

void ClientCore::tick(Millis now) {
  advance(now);
  if (stopped_) return;
  if (reconnect_at_ != kNever && now >= reconnect_at_) return begin_attempt();
  if (connect_deadline_ != kNever && now >= connect_deadline_ && !ending_)
    return fail_attempt("ConnectTimeout", "no session within connect_timeout_ms");
  if (session_) session_->tick(now);
}

}  // namespace kite::sdk
