// The incremental request parser; see request_parser.h.
#include "http/request_parser.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "http/percent.h"

namespace kite::server::http {
namespace {

RequestParser* self(http_parser* parser) {
  return static_cast<RequestParser*>(parser->data);
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string trim(std::string_view text) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return std::string(text);
}

// Splits "a=1&b=x+y" into decoded pairs; false on bad percent-encoding.
bool parse_query(std::string_view query, HttpRequest& request) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    std::size_t eq = pair.find('=');
    auto key = percent_decode(pair.substr(0, eq), true);
    auto value = percent_decode(eq == std::string_view::npos ? "" : pair.substr(eq + 1), true);
    if (!key || !value) return false;
    request.query.emplace_back(std::move(*key), std::move(*value));
  }
  return true;
}

// Fills path, segments and query from the target; false if it is not a usable URL.
bool parse_target(HttpRequest& request) {
  http_parser_url url;
  http_parser_url_init(&url);
  if (http_parser_parse_url(request.target.data(), request.target.size(), 0, &url) != 0)
    return false;
  auto part = [&](int field) {
    if ((url.field_set & (1u << field)) == 0) return std::string_view();
    return std::string_view(request.target)
        .substr(url.field_data[field].off, url.field_data[field].len);
  };
  std::string_view path = part(UF_PATH);
  request.path = path.empty() ? "/" : std::string(path);
  if (request.path.front() != '/') return false;
  for (std::string_view rest = std::string_view(request.path).substr(1); !rest.empty();) {
    std::size_t slash = rest.find('/');
    auto segment = percent_decode(rest.substr(0, slash), false);
    if (!segment) return false;
    request.segments.push_back(std::move(*segment));
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
    if (rest.empty()) request.segments.emplace_back();  // "/a/" ends with an empty segment
  }
  return parse_query(part(UF_QUERY), request);
}

}  // namespace

const http_parser_settings& RequestParser::settings() {
  static const http_parser_settings settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_message_begin = &RequestParser::on_message_begin;
    s.on_url = &RequestParser::on_url;
    s.on_header_field = &RequestParser::on_header_field;
    s.on_header_value = &RequestParser::on_header_value;
    s.on_headers_complete = &RequestParser::on_headers_complete;
    s.on_body = &RequestParser::on_body;
    s.on_message_complete = &RequestParser::on_message_complete;
    return s;
  }();
  return settings;
}

RequestParser::RequestParser(ParserLimits limits) : limits_(limits) {
  http_parser_init(&parser_, HTTP_REQUEST);
  parser_.data = this;
}

FeedResult RequestParser::feed(std::string_view bytes, std::size_t max_requests) {
  std::string input;  // the held bytes, then the new ones
  if (!held_.empty()) {
    input = std::move(held_) + std::string(bytes);
    held_.clear();
    bytes = input;
  }
  max_requests_ = max_requests;
  if (max_requests == 0 && !error_ && !done_) {
    held_.assign(bytes);
    bytes = {};
  }
  std::size_t offset = 0;
  while (offset < bytes.size() && !error_ && !done_) {
    std::size_t n =
        http_parser_execute(&parser_, &settings(), bytes.data() + offset, bytes.size() - offset);
    offset += n;
    http_errno err = HTTP_PARSER_ERRNO(&parser_);
    if (error_) break;
    if (err == HPE_PAUSED) {
      if (done_) break;                // Connection: close: the rest is ignored
      http_parser_pause(&parser_, 0);  // the request budget is spent: keep the rest for later
      held_.assign(bytes.substr(offset));
      break;
    }
    if (err != HPE_OK) map_parser_error();
    // HPE_OK with bytes left happens after a request with Upgrade headers: they are ignored, so
    // what follows is still HTTP. n == 0 without an error would loop forever: stop instead.
    if (n == 0) break;
  }
  FeedResult result{std::move(completed_), error_};
  completed_.clear();
  return result;
}

bool RequestParser::fail(int status, std::string detail) {
  if (!error_) error_ = ParseError{status, std::move(detail), std::nullopt};
  return false;
}

void RequestParser::map_parser_error() {
  http_errno err = HTTP_PARSER_ERRNO(&parser_);
  switch (err) {
    case HPE_HEADER_OVERFLOW:
      fail(431, "the request head is too large");
      break;
    case HPE_INVALID_METHOD:
      fail(501, "the request method is not supported");
      break;
    default:
      fail(400, fmt::format("malformed request: {}", http_errno_description(err)));
  }
}

bool RequestParser::count_header_bytes(std::size_t length) {
  header_bytes_ += length;
  if (header_bytes_ > limits_.max_header_bytes)
    return fail(431, fmt::format("the request head is above {} bytes", limits_.max_header_bytes));
  return true;
}

bool RequestParser::commit_header() {
  if (current_.headers.size() >= limits_.max_header_count)
    return fail(431, fmt::format("more than {} header fields", limits_.max_header_count));
  current_.headers.emplace_back(lower(std::move(field_)), trim(value_));
  field_.clear();
  value_.clear();
  in_value_ = false;
  return count_header_bytes(4);  // ": " and CRLF
}

bool RequestParser::finish_head() {
  if (parser_.http_major != 1) return fail(505, "only HTTP/1.x is supported");
  if (parser_.method == HTTP_CONNECT) return fail(501, "CONNECT is not supported");
  current_.method = http_method_str(static_cast<http_method>(parser_.method));
  if (!parse_target(current_)) return fail(400, "malformed request target");
  const auto codings =
      std::count_if(current_.headers.begin(), current_.headers.end(),
                    [](const auto& header) { return header.first == "transfer-encoding"; });
  // Two codings lists could be read differently by a proxy in front (RFC 9112 section 6.1).
  if (codings > 1) return fail(400, "more than one Transfer-Encoding header");
  const std::string* coding = current_.header("transfer-encoding");
  if (coding != nullptr && lower(*coding) != "chunked")
    return fail(501, "only the chunked transfer coding is supported");
  bool has_length = (parser_.flags & F_CONTENTLENGTH) != 0;
  if (has_length && parser_.content_length > limits_.max_body_bytes)
    return fail(413, fmt::format("the body is above {} bytes", limits_.max_body_bytes));
  current_.keep_alive = http_should_keep_alive(&parser_) != 0;
  const std::string* expect = current_.header("expect");
  bool has_body = (parser_.flags & F_CHUNKED) != 0 || (has_length && parser_.content_length > 0);
  if (has_body && head_check_) {
    if (auto refusal = head_check_(current_)) {
      error_ = ParseError{refusal->status, "refused before the body", std::move(refusal)};
      return false;
    }
  }
  phase_ = has_body ? Phase::body : Phase::idle;
  continue_wanted_ = has_body && expect != nullptr && lower(*expect) == "100-continue";
  return true;
}

int RequestParser::on_message_begin(http_parser* parser) {
  RequestParser* p = self(parser);
  p->current_ = HttpRequest{};
  p->field_.clear();
  p->value_.clear();
  p->in_value_ = false;
  p->header_bytes_ = 0;
  p->phase_ = Phase::head;
  ++p->begun_;
  return 0;
}

int RequestParser::on_url(http_parser* parser, const char* at, std::size_t length) {
  RequestParser* p = self(parser);
  if (!p->count_header_bytes(length)) return 1;
  p->current_.target.append(at, length);
  return 0;
}

int RequestParser::on_header_field(http_parser* parser, const char* at, std::size_t length) {
  RequestParser* p = self(parser);
  if (p->in_value_ && !p->commit_header()) return 1;
  if (!p->count_header_bytes(length)) return 1;
  p->field_.append(at, length);
  return 0;
}

int RequestParser::on_header_value(http_parser* parser, const char* at, std::size_t length) {
  RequestParser* p = self(parser);
  if (!p->count_header_bytes(length)) return 1;
  p->value_.append(at, length);
  p->in_value_ = true;
  return 0;
}

int RequestParser::on_headers_complete(http_parser* parser) {
  RequestParser* p = self(parser);
  if (!p->field_.empty() && !p->commit_header()) return -1;
  return p->finish_head() ? 0 : -1;  // 1 would mean "no body", not an error
}

int RequestParser::on_body(http_parser* parser, const char* at, std::size_t length) {
  RequestParser* p = self(parser);
  p->continue_wanted_ = false;  // the client did not wait
  if (length > p->limits_.max_body_bytes - p->current_.body.size()) {
    p->fail(413, fmt::format("the body is above {} bytes", p->limits_.max_body_bytes));
    return 1;
  }
  p->current_.body.append(at, length);
  return 0;
}

int RequestParser::on_message_complete(http_parser* parser) {
  RequestParser* p = self(parser);
  p->continue_wanted_ = false;
  p->phase_ = Phase::idle;
  bool keep_alive = p->current_.keep_alive;
  p->completed_.push_back(std::move(p->current_));
  if (!keep_alive) {
    p->done_ = true;
    http_parser_pause(parser, 1);  // the rest of the input is ignored
  } else if (p->completed_.size() >= p->max_requests_) {
    http_parser_pause(parser, 1);  // feed() holds the rest
  }
  return 0;
}

}  // namespace kite::server::http
