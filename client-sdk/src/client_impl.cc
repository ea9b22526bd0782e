// Client::Impl: entry points, the loop and its thread, and driving the core.
#include "client_impl.h"

#include <chrono>

#include "client_link.h"

namespace kite {

using sdk::Millis;

// ---------------------------------------------------------------------------------------------
// Entry points

Client::Impl::Scope::Scope(Impl& impl) : impl_(impl), lock_(impl.mutex_) {
  ++impl_.depth_;
  impl_.core_.advance(now());
}

Client::Impl::Scope::~Scope() {
  if (--impl_.depth_ != 0) return;
  if (impl_.on_loop_thread()) {
    impl_.drive();
  } else if (impl_.core_.started() && !impl_.handles_closed_) {
    uv_async_send(&impl_.wake_);
  }
}

Client::Impl::Impl(ClientOptions options, uv_loop_t* loop)
    : core_(std::move(options)), loop_(loop) {
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
  core_.set_message_handler(std::move(handler));
}

void Client::Impl::set_command_handler(std::function<Reply(const Command&)> handler) {
  Scope scope(*this);
  core_.set_command_handler(std::move(handler));
}

void Client::Impl::set_state_handler(std::function<void(const StateChange&)> handler) {
  Scope scope(*this);
  core_.set_state_handler(std::move(handler));
}

Error Client::Impl::start() {
  std::unique_lock lock(mutex_);
  const bool started_before = core_.started();
  // Stopped after stop(), Ok again after a start(): the core says which.
  if (Error error = core_.start(now()); error != Error::Ok || started_before) return error;
  self_ = shared_from_this();
  if (own_loop_) {
    thread_ = std::thread([this] {
      {
        Scope scope(*this);
        loop_thread_ = std::this_thread::get_id();
      }
      uv_run(loop_, UV_RUN_DEFAULT);
    });
    return Error::Ok;
  }
  lock.unlock();
  Scope scope(*this);  // settles: the first dial
  return Error::Ok;
}

std::string Client::Impl::start_error() const {
  std::lock_guard lock(mutex_);
  return core_.start_error();
}

void Client::Impl::stop() {
  Scope scope(*this);
  core_.stop();
}

void Client::Impl::detach() {
  {
    std::lock_guard lock(mutex_);
    core_.detach_handlers();
    // On the caller's loop the handles close after this returns: the Impl waits for them.
    if (!own_loop_ && !self_ && open_handles_ > 0) self_ = shared_from_this();
  }
  stop();
  if (thread_.joinable()) thread_.join();
}

Error Client::Impl::publish(const Publish& message, Completion done) {
  Scope scope(*this);
  return core_.publish(message, std::move(done));
}

Error Client::Impl::subscribe(bool join, std::string_view group, Completion done) {
  Scope scope(*this);
  return core_.subscribe(join, group, std::move(done));
}

State Client::Impl::state() const {
  std::lock_guard lock(mutex_);
  return core_.state();
}

std::size_t Client::Impl::queued() const {
  std::lock_guard lock(mutex_);
  return core_.queued();
}

// ---------------------------------------------------------------------------------------------
// Driving the core: settle it, then do its I/O; what the I/O tells it (a write that failed at
// once, a dial with no address) is settled in turn.

void Client::Impl::drive() {
  if (driving_ || handles_closed_) return;
  driving_ = true;
  do {
    told_core_ = false;
    if (link_ && link_->connected)  // what libuv still holds counts against the uplink's pace
      core_.set_unwritten(
          uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&link_->tcp)));
    core_.settle(now());
  } while (do_what_core_asks());
  if (core_.finished()) {
    close_handles();
  } else {
    rearm_timer();
  }
  driving_ = false;
}

bool Client::Impl::do_what_core_asks() {
  // The connection's last words go before its close.
  std::vector<std::uint8_t> out;
  core_.take_output(out);
  if (!out.empty() && link_ && link_->connected && !link_->closing) write(std::move(out));
  bool graceful = false;
  if (core_.take_close(graceful)) {
    ++dial_;  // a resolve still running belongs to the closed attempt
    if (resolving_) uv_cancel(reinterpret_cast<uv_req_t*>(&resolving_->request));
    close_link(graceful);
  }
  if (auto target = core_.take_dial()) dial(*target);
  return told_core_;
}

}  // namespace kite
