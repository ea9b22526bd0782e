// An http:// or https:// URL as a webhook names its receiver:
//
//   http://127.0.0.1:8080/hooks/kite   https://hooks.example.com/kite?key=1   https://[::1]/x
//
// Only what an HTTP client needs: scheme, host (a name or a numeric address; IPv6 in brackets),
// port (default 80 or 443) and the request target (path and query; "/" when absent). No user
// info (a secret there would end up in logs) and no fragment (never sent anyway).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kite::server {

struct HttpUrl {
  bool https = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string target;  // "/path?query"

  // The Host header's value: host, bracketed if IPv6, with ":port" unless the default one.
  std::string host_header() const;
};

// "" and the URL, or what is wrong with it.
std::string parse_http_url(std::string_view text, HttpUrl& out);

}  // namespace kite::server
