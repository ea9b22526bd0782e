// The values that pass between the request parser, the router, handlers and a connection:
// HttpRequest and HttpResponse, plain data with no I/O, and the bytes of a response on the wire.
//
// Rules: request header names are lower-case (the parser folds them), so look them up in lower
// case. The server owns the framing headers: Content-Length, Transfer-Encoding and Connection set
// by a handler are dropped and replaced, and a header whose name or value holds CR, LF or NUL is
// dropped (no response splitting). A handler asks for the connection to close after its response
// with the header "Connection: close".
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kite::server::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;                 // "GET", "POST", ... (upper case, as http-parser names them)
  std::string target;                 // the request target as sent, still percent-encoded
  std::string path;                   // the path part of the target, still percent-encoded
  std::vector<std::string> segments;  // the path split at '/', each percent-decoded; "/" has none
  std::vector<std::pair<std::string, std::string>> query;  // decoded ('+' is a space), in order
  Headers headers;         // lower-case names, trimmed values, in order
  std::string body;        // de-chunked when sent chunked
  bool keep_alive = true;  // false: the connection closes after this response

  // The first header (by lower-case name) or query parameter with this name, or null.
  const std::string* header(std::string_view lower_name) const;
  const std::string* query_param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  Headers headers;
  std::string body;

  static HttpResponse text(int status, std::string body,
                           std::string content_type = "text/plain; charset=utf-8");
};

std::string_view reason_phrase(int status);

// True if the headers hold "Connection: close" (any case).
bool asks_to_close(const Headers& headers);

// A complete response with Content-Length (none, and no body, for 1xx, 204 and 304).
std::string serialize_response(const HttpResponse& response, bool close);
// The head of a streamed response; the body follows as serialize_chunk() pieces.
std::string serialize_stream_head(int status, const Headers& headers, bool close);
// One chunk of chunked transfer coding; empty input gives empty output (the last chunk is
// kLastChunk, never an accident of an empty write).
std::string serialize_chunk(std::string_view bytes);
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

}  // namespace kite::server::http
