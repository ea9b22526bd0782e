#include "common/http_url.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

namespace kite::server {
namespace {

bool valid_host_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '-' || c == '_';
}

// The authority "host[:port]" or "[v6][:port]" into `out`; "" or the problem.
std::string parse_authority(std::string_view authority, HttpUrl& out) {
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return "an IPv6 host needs its closing ']'";
    out.host = std::string(authority.substr(1, close - 1));
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) return "expected ':port' after the IPv6 host";
    if (!rest.empty()) port_text = rest.substr(1);
    if (out.host.empty() ||
        out.host.find_first_not_of("0123456789abcdefABCDEF:.") != std::string::npos)
      return "the IPv6 host in brackets is not an address";
  } else {
    const std::size_t colon = authority.find(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
    if (out.host.empty()) return "expected a host";
    if (!std::all_of(out.host.begin(), out.host.end(), valid_host_char))
      return "the host has a character a host name cannot have";
  }
  if (port_text.empty()) return {};
  unsigned port = 0;
  auto [end, error] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (error != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
      port > 65535)
    return "the port is not a number 1..65535";
  out.port = static_cast<std::uint16_t>(port);
  return {};
}

}  // namespace

std::string HttpUrl::host_header() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out = v6 ? "[" + host + "]" : host;
  if (port != (https ? 443 : 80)) out += fmt::format(":{}", port);
  return out;
}

std::string parse_http_url(std::string_view text, HttpUrl& out) {
  HttpUrl url;
  if (text.starts_with("https://")) {
    url.https = true;
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else {
    return "expected a URL starting with http:// or https://";
  }
  if (text.find_first_of(" \t\r\n") != std::string_view::npos)
    return "a URL has no spaces or control characters";
  text = text.substr(0, text.find('#'));
  const std::size_t slash = std::min(text.find('/'), text.find('?'));
  const std::string_view authority = text.substr(0, slash);
  if (authority.find('@') != std::string_view::npos)
    return "no user:password@ in the URL (it would show in logs): use the secret to sign";
  url.port = url.https ? 443 : 80;
  if (auto problem = parse_authority(authority, url); !problem.empty()) return problem;
  const std::string_view target = slash == std::string_view::npos ? "" : text.substr(slash);
  url.target = target.starts_with('/') ? std::string(target) : "/" + std::string(target);
  out = std::move(url);
  return {};
}

}  // namespace kite::server
