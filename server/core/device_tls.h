// What the TLS device listener's connections share across workers: the TlsContext they are made
// from and the log limit of their handshake failures.
//
// Rules it keeps:
//  - the context is swapped whole (SIGHUP reload): a connection keeps the context it was made
//    with until it closes, a new connection takes the newest one; readers never lock;
//  - a handshake failure is something any stranger can cause at will, so its log line is
//    rate-limited (common/log_limiter.h); the metric counts every one.
#pragma once

#include <atomic>
#include <memory>

#include "common/log_limiter.h"
#include "kite/tls/context.h"

namespace kite::server {

class DeviceTls {
 public:
  std::shared_ptr<const kite::tls::TlsContext> context() const {
    return context_.load(std::memory_order_acquire);
  }
  void set_context(std::shared_ptr<const kite::tls::TlsContext> context) {
    context_.store(std::move(context), std::memory_order_release);
  }
  log::Limiter& failure_log() { return failure_log_; }

 private:
  std::atomic<std::shared_ptr<const kite::tls::TlsContext>> context_;
  log::Limiter failure_log_{20, 1000};
};

}  // namespace kite::server
