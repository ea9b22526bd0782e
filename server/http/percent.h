// Percent-decoding of URL parts (RFC 3986 section 2.1), for path segments and query strings.
//
// Rules: "%XY" with two hex digits becomes one byte; a '%' not followed by two hex digits makes the
// whole input invalid (the caller answers 400), never silently kept. '+' means a space only in
// query strings (application/x-www-form-urlencoded), never in a path.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace kite::server::http {

std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

}  // namespace kite::server::http
