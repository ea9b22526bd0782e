// Strict UTF-8 (RFC 3629, Unicode table 3-7): no overlong forms, no surrogates, nothing above
// U+10FFFF, no truncated sequence. The project's one validator: payloads shown as text (the CLI,
// command replies in the admin API) and the JSON text the event stream writes by hand.
#pragma once

#include <cstddef>
#include <string_view>

namespace kite::protocol {

// The length (1 to 4) of the well-formed sequence starting at text[at], or 0 when there is none
// there (at < text.size()).
std::size_t utf8_sequence_length(std::string_view text, std::size_t at = 0);

// True when all of `text` is well-formed UTF-8.
bool is_utf8(std::string_view text);

}  // namespace kite::protocol
