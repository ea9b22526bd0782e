// Payloads as `kite send` reads them (an argument, a file, stdin lines) and as the admin API
// takes them: UTF-8 text goes in "payload", any other bytes in "payload_base64" (base64url, no
// padding), so a binary file arrives byte for byte.
#pragma once

#include <nlohmann/json.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace kite::cli {

// Sets "payload" or "payload_base64" (text: kite/protocol/utf8.h's strict UTF-8) on a message body,
// whichever keeps the bytes intact.
void set_payload(nlohmann::json& message, std::string_view bytes);

// The whole file's bytes, or nullopt with `error` saying why not.
std::optional<std::string> read_file_bytes(const std::string& path, std::string& error);

}  // namespace kite::cli
