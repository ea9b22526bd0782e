// Fuzzes the address parsers of the configuration: the URL of [[webhooks]]
// (server/common/http_url.h) and redis.address (server/common/redis_address.h); the input is the
// text, given to both.
//
// Checked: no crash (ASan/UBSan); a parsed URL has a host, a port other than 0 and a target that
// starts with '/' and holds no space, control character or '#'; written back from its parts
// (scheme, Host header value, target) it parses to the same parts; an error leaves `out` alone.
// A parsed Redis address has a host (or socket path) and a port in 1-65535 (TCP), and its
// to_string() parses to the same address.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http_url.h"
#include "common/redis_address.h"
#include "fuzz_check.h"

using kite::server::HttpUrl;

namespace {

void check_redis_address(std::string_view text) {
  using kite::server::common::RedisAddress;
  RedisAddress address;
  if (!RedisAddress::parse(text, address).empty()) return;
  KITE_FUZZ_CHECK(!address.host.empty());
  KITE_FUZZ_CHECK(address.unix_socket || (address.port >= 1 && address.port <= 65535));
  RedisAddress again;
  KITE_FUZZ_CHECK(RedisAddress::parse(address.to_string(), again).empty());
  KITE_FUZZ_CHECK(again.host == address.host && again.port == address.port &&
                  again.unix_socket == address.unix_socket);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_redis_address(text);
  HttpUrl url;
  url.host = "untouched";
  if (!kite::server::parse_http_url(text, url).empty()) {
    KITE_FUZZ_CHECK(url.host == "untouched");
    return 0;
  }
  KITE_FUZZ_CHECK(!url.host.empty() && url.port != 0);
  KITE_FUZZ_CHECK(url.target.starts_with('/'));
  KITE_FUZZ_CHECK(url.target.find_first_of(" \t\r\n#") == std::string::npos);
  const std::string again_text =
      (url.https ? "https://" : "http://") + url.host_header() + url.target;
  HttpUrl again;
  KITE_FUZZ_CHECK(kite::server::parse_http_url(again_text, again).empty());
  KITE_FUZZ_CHECK(again.https == url.https && again.host == url.host && again.port == url.port &&
                  again.target == url.target);
  return 0;
}
