// RequestDeadline: how long a client may take to send one request (the admin port's answer to
// slowloris). Sans-IO: the connection reports what the parser saw and the time; this says when
// the client has overstayed.
//
// Rules:
//  - A request head (request line and headers) must be complete within head_timeout_ms of its
//    first byte, however steadily its bytes trickle in.
//  - A body must arrive at min_body_rate bytes per second on average, after a grace of
//    head_timeout_ms: after t ms of body, at least (t - head_timeout_ms) * rate / 1000 bytes. A
//    large body so gets time in proportion to its size, a trickle does not.
//  - Between requests nothing runs here: the connection's idle timeout applies.
#pragma once

#include <cstddef>
#include <cstdint>

#include "http/request_parser.h"

namespace kite::server::http {

struct DeadlineLimits {
  std::uint64_t head_timeout_ms = 10'000;
  std::uint64_t min_body_rate = 8'192;  // bytes per second; 0 = no minimum
};

class RequestDeadline {
 public:
  explicit RequestDeadline(DeadlineLimits limits) : limits_(limits) {}

  // After every feed: the parser's phase, its count of requests begun, and the body bytes of
  // the current request. A new phase or a new request restarts the clock.
  void observe(RequestParser::Phase phase, std::uint64_t begun, std::size_t body_bytes,
               std::uint64_t now_ms);
  // True when the request in progress is late; the connection then ends.
  bool overdue(std::uint64_t now_ms) const;

 private:
  DeadlineLimits limits_;
  RequestParser::Phase phase_ = RequestParser::Phase::idle;
  std::uint64_t begun_ = 0;
  std::uint64_t since_ms_ = 0;
  std::size_t body_bytes_ = 0;
};

}  // namespace kite::server::http
