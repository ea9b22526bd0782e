// A sans-IO, incremental HTTP/1.1 request parser around http-parser: bytes in, complete requests
// or one error out. It touches no socket and no clock, so tests and the fuzzer drive it alone.
//
// Rules it keeps:
//  - Any split of the input gives the same requests (one byte at a time or many pipelined
//    requests in one feed) and an error or none. Only the status may differ: a limit (413, 431)
//    crossed by the part of a header seen before a chunk boundary can win over a syntax error
//    (400) later in that header.
//  - Limits are checked before bytes are kept: a declared Content-Length above max_body_bytes
//    fails at the end of the headers (413) and a chunked body fails as soon as it passes the
//    limit; the request line and headers are capped by max_header_bytes (431) and
//    max_header_count (431). No completed request has a body above max_body_bytes.
//  - An error is sticky: once feed() reports one, every later feed() reports the same one and no
//    request. The caller answers error.status and closes the connection.
//  - After a request that does not keep the connection alive (Connection: close, HTTP/1.0),
//    later bytes are ignored: done() is true.
//  - Statuses: 400 malformed (bad syntax, bad percent-encoding, conflicting lengths, more than
//    one Transfer-Encoding header), 413, 431, 501 (unknown method, CONNECT, a transfer coding
//    other than chunked), 505 (not HTTP/1.x). Upgrade headers are ignored: the request is
//    answered as plain HTTP.
//  - A head check (set_head_check) sees every request that announces a body once its head is
//    complete, before any body byte is kept: a refusal it returns becomes the error (with that
//    response), so a stranger's body is never buffered and 100-continue is never owed to it.
//  - feed() returns at most `max_requests` requests; the bytes after the last one are held, not
//    parsed, and the next feed() (even an empty one) parses them first. The caller so bounds
//    the requests it has in flight without reading the socket again.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/message.h"

namespace kite::server::http {

struct ParserLimits {
  std::size_t max_header_bytes = 16 * 1024;  // request target + header names and values
  std::size_t max_body_bytes = 1024 * 1024;
  std::size_t max_header_count = 100;
};

struct ParseError {
  int status = 400;
  std::string detail;  // safe to show the client: names the rule, never echoes input
  std::optional<HttpResponse> response;  // the head check's answer, sent instead of a problem
};

// Refuses a request from its head alone (the route is known from the target): nothing, or the
// response to send instead of reading the body.
using HeadCheck = std::function<std::optional<HttpResponse>(const HttpRequest& head)>;

struct FeedResult {
  std::vector<HttpRequest> requests;  // complete, in order; may precede an error
  std::optional<ParseError> error;
};

class RequestParser {
 public:
  explicit RequestParser(ParserLimits limits = {});
  RequestParser(const RequestParser&) = delete;  // http-parser points back at this object
  RequestParser& operator=(const RequestParser&) = delete;

  // Where the parser is in the current request: between requests, inside a head, inside a body.
  enum class Phase : std::uint8_t { idle, head, body };

  FeedResult feed(std::string_view bytes,
                  std::size_t max_requests = std::numeric_limits<std::size_t>::max());
  void set_head_check(HeadCheck check) { head_check_ = std::move(check); }

  bool done() const { return done_; }
  // Bytes past the last request returned, kept for the next feed().
  bool holding() const { return !held_.empty(); }
  Phase phase() const { return phase_; }
  // Requests begun so far (a new one in the same phase is a new deadline).
  std::uint64_t begun() const { return begun_; }
  // Body bytes of the current request received so far.
  std::size_t body_bytes() const { return current_.body.size(); }
  // True once per request whose headers carried "Expect: 100-continue" and were accepted, until
  // its body starts: the server may then send "100 Continue".
  bool take_continue_wanted() { return std::exchange(continue_wanted_, false); }

 private:
  static const http_parser_settings& settings();
  static int on_message_begin(http_parser* parser);
  static int on_url(http_parser* parser, const char* at, std::size_t length);
  static int on_header_field(http_parser* parser, const char* at, std::size_t length);
  static int on_header_value(http_parser* parser, const char* at, std::size_t length);
  static int on_headers_complete(http_parser* parser);
  static int on_body(http_parser* parser, const char* at, std::size_t length);
  static int on_message_complete(http_parser* parser);

  bool count_header_bytes(std::size_t length);
  bool commit_header();
  bool finish_head();
  bool fail(int status, std::string detail);
  void map_parser_error();

  ParserLimits limits_;
  http_parser parser_{};
  HttpRequest current_;
  std::string field_;
  std::string value_;
  bool in_value_ = false;
  std::size_t header_bytes_ = 0;
  std::vector<HttpRequest> completed_;  // during one feed()
  std::optional<ParseError> error_;
  bool done_ = false;
  bool continue_wanted_ = false;
  HeadCheck head_check_;
  std::size_t max_requests_ = std::numeric_limits<std::size_t>::max();  // of this feed()
  std::string held_;  // input past the request budget of the last feed()
  Phase phase_ = Phase::idle;
  std::uint64_t begun_ = 0;
};

}  // namespace kite::server::http
