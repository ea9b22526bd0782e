#include "common/json_text.h"

#include <cstdint>

#include "kite/protocol/utf8.h"

namespace kite::server::json_text {

void append_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c < 0x20 || c == 0x7f) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
    } else if (std::size_t length = protocol::utf8_sequence_length(text, i); length != 0) {
      out.append(text.substr(i, length));
      i += length;
      continue;
    } else {
      out += "\xef\xbf\xbd";  // U+FFFD for the bad byte; carry on with the next one
    }
    ++i;
  }
  out.push_back('"');
}

}  // namespace kite::server::json_text
