// Writing JSON text by hand where a DOM would cost an allocation per field (the event stream
// builds one object per device event on the workers' hot path).
//
// Rules: the output is always valid JSON whatever the input bytes: quotes, backslashes and
// control characters are escaped, and bytes that are not well-formed UTF-8 (overlong forms,
// surrogates, truncated sequences, > U+10FFFF: kite/protocol/utf8.h) become U+FFFD, one per bad
// byte.
#pragma once

#include <string>
#include <string_view>

namespace kite::server::json_text {

// Appends `text` as a quoted JSON string.
void append_string(std::string& out, std::string_view text);

}  // namespace kite::server::json_text
