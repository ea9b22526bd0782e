// json_text: escaping, UTF-8 kept when well-formed, replaced byte by byte when not.
#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include "common/json_text.h"
#include "kite/protocol/utf8.h"

namespace kite::server::json_text {
namespace {
std::string quoted(std::string_view text) {
  std::string out;
  append_string(out, text);
  return out;
}
}  // namespace

TEST_CASE("quotes, backslashes and control characters are escaped") {
  CHECK(quoted("a\"b\\c") == R"("a\"b\\c")");
  CHECK(quoted("x\ny") == R"("x\ny")");
  CHECK(quoted(std::string_view("\x01\x1f\x7f", 3)) == R"("\u0001\u001f\u007f")");
  CHECK(quoted(std::string_view("\0", 1)) == R"("\u0000")");
}

TEST_CASE("well-formed UTF-8 passes, anything else becomes U+FFFD per bad byte") {
  CHECK(protocol::is_utf8("h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80"));
  CHECK(quoted("\xc3\xa9") == "\"\xc3\xa9\"");
  for (std::string_view bad :
       {"\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc3", "\xff", "\x80"}) {
    CAPTURE(bad);
    CHECK(!protocol::is_utf8(bad));
    auto json = nlohmann::json::parse(quoted(bad));  // throws if the output were not JSON
    CHECK(json.get<std::string>().find("\xef\xbf\xbd") != std::string::npos);
  }
  CHECK(quoted("a\xff"
               "b") ==
        "\"a\xef\xbf\xbd"
        "b\"");
}

}  // namespace kite::server::json_text
