// Client::Impl, the end of a connection and what comes next (reconnect after a back-off, or
// stop for good), the handles given back to libuv, and the one timer that drives it all.
#include "client_impl.h"

#include "client_link.h"

namespace kite {

using protocol::Millis;
using protocol::Reason;

// ---------------------------------------------------------------------------------------------
// The end of a connection, and what comes next

void Client::Impl::end_connection() {
  Ending ending = std::move(*ending_);
  // The session's last words (an error frame, a goodbye) go before the close, once the session
  // file holds what they say.
  const bool saved = save_session(/*force=*/true);
  if (saved) flush();
  const bool graceful = ending.code != Reason::None || ending.send_alert;
  if (saved && graceful && link_ && link_->tls() &&
      link_->tls()->state() == tls::TlsChannel::State::Open) {
    link_->tls()->close();  // close_notify after the goodbye
    flush();
  }
  close_link(graceful);
  ending_.reset();  // only now: a write failing in the flushes above must not end it twice
  session_.reset();
  connect_deadline_ = kNever;
  Millis t = now();
  const bool stable = opened_at_ != kNever && t - opened_at_ >= options_.stable_after_ms;
  opened_at_ = kNever;

  if (stopping_) return finish_stop("Stopped", "stopped by the app");
  if (ending.code == Reason::Replaced || ending.code == Reason::Revoked ||
      !protocol::reconnect_allowed(ending.code)) {
    // For good: retrying would fight a newer connection or repeat a refusal.
    save_before_stop();
    stopping_ = true;
    stopped_ = true;
    std::string why = ending.reason + (ending.detail.empty() ? "" : ": " + ending.detail);
    queue_.fail_all(Error::Stopped, why, finished_);
    fail_groups(Error::Stopped, why);
    State state = ending.code == Reason::Replaced  ? State::Replaced
                  : ending.code == Reason::Revoked ? State::Revoked
                                                   : State::Stopped;
    notify({state, std::move(ending.reason), std::move(ending.detail)});
    return;
  }
  if (stable) backoff_.reset();
  std::uint32_t delay = backoff_.next(ending.reconnect_after_ms);
  reconnect_at_ = t + delay;
  notify({State::Disconnected, std::move(ending.reason), std::move(ending.detail), false, delay});
}

void Client::Impl::close_link(bool graceful) {
  Link* link = link_;
  link_ = nullptr;
  if (!link || link->closing) return;
  link->closing = true;
  if (graceful && link->connected) {
    // uv_shutdown waits for the queued writes (the goodbye); uv_close would cancel them.
    link->shutdown.data = link;
    if (uv_shutdown(&link->shutdown, reinterpret_cast<uv_stream_t*>(&link->tcp), on_shutdown) == 0)
      return;
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&link->tcp), on_link_closed);
}

void Client::Impl::on_shutdown(uv_shutdown_t* request, int) {
  auto* link = static_cast<Link*>(request->data);
  uv_close(reinterpret_cast<uv_handle_t*>(&link->tcp), on_link_closed);
}

void Client::Impl::on_link_closed(uv_handle_t* handle) {
  auto* link = static_cast<Link*>(handle->data);
  Impl* self = link->impl;
  delete link;
  self->release_handle();
}

void Client::Impl::finish_stop(std::string reason, std::string detail) {
  const bool kept = session_file_.has_value();
  save_before_stop();
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

void Client::Impl::fail_groups(Error error, std::string_view why) {
  for (auto& request : groups_)
    if (request.done) finished_.push_back({std::move(request.done), error, std::string(why)});
  groups_.clear();
}

void Client::Impl::close_handles() {
  if (handles_closed_) return;
  handles_closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_handle_closed);
  uv_close(reinterpret_cast<uv_handle_t*>(&wake_), on_handle_closed);
}

void Client::Impl::on_handle_closed(uv_handle_t* handle) {
  static_cast<Impl*>(handle->data)->release_handle();
}

// The last handle libuv gives back lets go of the self-reference: the Impl may go now.
void Client::Impl::release_handle() {
  std::shared_ptr<Impl> keep;
  {
    std::lock_guard lock(mutex_);
    if (--open_handles_ == 0) keep.swap(self_);
  }
}

// ---------------------------------------------------------------------------------------------
// Time

void Client::Impl::rearm_timer() {
  Millis deadline = std::numeric_limits<Millis>::max();
  if (reconnect_at_ != kNever) deadline = std::min(deadline, reconnect_at_);
  if (connect_deadline_ != kNever) deadline = std::min(deadline, connect_deadline_);
  if (session_) deadline = std::min(deadline, session_->next_deadline());
  if (session_unsaved()) deadline = std::min(deadline, session_file_->next_write_at());
  if (deadline == std::numeric_limits<Millis>::max()) {
    uv_timer_stop(&timer_);
    return;
  }
  Millis wait = std::max<Millis>(0, deadline - now());
  uv_timer_start(&timer_, on_timer, static_cast<std::uint64_t>(wait), 0);
}

void Client::Impl::on_timer(uv_timer_t* timer) {
  Impl& self = *static_cast<Impl*>(timer->data);
  Scope scope(self);
  Millis t = now();
  if (self.reconnect_at_ != kNever && t >= self.reconnect_at_) return self.begin_attempt();
  if (self.connect_deadline_ != kNever && t >= self.connect_deadline_ && !self.ending_)
    return self.fail_attempt("ConnectTimeout", "no session within connect_timeout_ms");
  if (self.session_) self.session_->tick(t);
}

void Client::Impl::on_wake(uv_async_t* async) {
  Scope scope(*static_cast<Impl*>(async->data));  // settles on the way out
}

}  // namespace kite
