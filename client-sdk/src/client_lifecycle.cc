// Client::Impl, what libuv gives back: the socket closed (after its last words when graceful),
// the handles closed when the client is done, and the one timer for every deadline of the core.
#include <limits>

#include "client_impl.h"
#include "client_link.h"

namespace kite {

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

void Client::Impl::rearm_timer() {
  const sdk::Millis deadline = core_.next_deadline();
  if (deadline == sdk::kNever) {
    uv_timer_stop(&timer_);
    return;
  }
  const sdk::Millis wait = std::max<sdk::Millis>(0, deadline - now());
  uv_timer_start(&timer_, on_timer, static_cast<std::uint64_t>(wait), 0);
}

void Client::Impl::on_timer(uv_timer_t* timer) {
  Impl& self = *static_cast<Impl*>(timer->data);
  Scope scope(self);
  self.core_.tick(now());
}

void Client::Impl::on_wake(uv_async_t* async) {
  Scope scope(*static_cast<Impl*>(async->data));  // settles on the way out
}

}  // namespace kite
