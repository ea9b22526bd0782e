// Requests, responses and response bytes; see message.h.
#include "http/message.h"

#include <http_parser.h>

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

namespace kite::server::http {
namespace {

bool equals_lower(std::string_view text, std::string_view lower) {
  return std::equal(text.begin(), text.end(), lower.begin(), lower.end(),
                    [](char a, char b) { return (a >= 'A' && a <= 'Z' ? a + 32 : a) == b; });
}

bool is_framing(std::string_view name) {
  return equals_lower(name, "content-length") || equals_lower(name, "transfer-encoding") ||
         equals_lower(name, "connection");
}

bool is_safe(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string date_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

std::string head(int status, const Headers& headers, bool close) {
  std::string out =
      fmt::format("HTTP/1.1 {} {}\r\nDate: {}\r\n", status, reason_phrase(status), date_now());
  for (const auto& [name, value] : headers) {
    if (name.empty() || is_framing(name) || !is_safe(name) || !is_safe(value)) continue;
    out += fmt::format("{}: {}\r\n", name, value);
  }
  if (close) out += "Connection: close\r\n";
  return out;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers)
    if (name == lower_name) return &value;
  return nullptr;
}

const std::string* HttpRequest::query_param(std::string_view name) const {
  for (const auto& [key, value] : query)
    if (key == name) return &value;
  return nullptr;
}

HttpResponse HttpResponse::text(int status, std::string body, std::string content_type) {
  return HttpResponse{status, {{"Content-Type", std::move(content_type)}}, std::move(body)};
}

std::string_view reason_phrase(int status) {
  if (status < 100 || status > 599) return "Unknown";
  const char* phrase = http_status_str(static_cast<http_status>(status));
  return phrase != nullptr && std::string_view(phrase) != "<unknown>" ? phrase : "Unknown";
}

bool asks_to_close(const Headers& headers) {
  return std::any_of(headers.begin(), headers.end(), [](const auto& header) {
    return equals_lower(header.first, "connection") && equals_lower(header.second, "close");
  });
}

std::string serialize_response(const HttpResponse& response, bool close) {
  std::string out = head(response.status, response.headers, close);
  bool bodiless = response.status < 200 || response.status == 204 || response.status == 304;
  if (bodiless) return out + "\r\n";
  out += fmt::format("Content-Length: {}\r\n\r\n", response.body.size());
  return out + response.body;
}

std::string serialize_stream_head(int status, const Headers& headers, bool close) {
  return head(status, headers, close) + "Transfer-Encoding: chunked\r\n\r\n";
}

std::string serialize_chunk(std::string_view bytes) {
  if (bytes.empty()) return {};
  return fmt::format("{:x}\r\n{}\r\n", bytes.size(), bytes);
}

}  // namespace kite::server::http
