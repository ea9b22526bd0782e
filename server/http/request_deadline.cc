// Request deadlines; see request_deadline.h.
#include "http/request_deadline.h"

namespace kite::server::http {

void RequestDeadline::observe(RequestParser::Phase phase, std::uint64_t begun,
                              std::size_t body_bytes, std::uint64_t now_ms) {
  if (phase != phase_ || begun != begun_) since_ms_ = now_ms;
  phase_ = phase;
  begun_ = begun;
  body_bytes_ = body_bytes;
}

bool RequestDeadline::overdue(std::uint64_t now_ms) const {
  const std::uint64_t elapsed = now_ms > since_ms_ ? now_ms - since_ms_ : 0;
  switch (phase_) {
    case RequestParser::Phase::idle:
      return false;
    case RequestParser::Phase::head:
      return elapsed >= limits_.head_timeout_ms;
    case RequestParser::Phase::body:
      if (limits_.min_body_rate == 0) return false;
      // The time the bytes received so far are worth at the minimum rate, plus the grace.
      return elapsed > limits_.head_timeout_ms + body_bytes_ * 1000 / limits_.min_body_rate;
  }
  return false;
}

}  // namespace kite::server::http
