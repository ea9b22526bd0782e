// A value quoted for an error message or a log line: it may come from a file, the environment or
// a peer, and is about to reach a terminal or a log, so quotes, backslashes and control
// characters are escaped and it cannot forge a line. The result is also a valid TOML basic
// string (config/toml_text.h writes TOML with it).
#pragma once

#include <string>
#include <string_view>

namespace kite::server {

std::string quoted(std::string_view text);

}  // namespace kite::server
