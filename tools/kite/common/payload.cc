#include "common/payload.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <span>
#include <sstream>

#include "kite/protocol/base64url.h"
#include "kite/protocol/utf8.h"

namespace kite::cli {

void set_payload(nlohmann::json& message, std::string_view bytes) {
  if (protocol::is_utf8(bytes)) {
    message["payload"] = std::string(bytes);
    return;
  }
  const std::span<const std::uint8_t> raw(reinterpret_cast<const std::uint8_t*>(bytes.data()),
                                          bytes.size());
  message["payload_base64"] = protocol::base64url_encode(raw);
}

std::optional<std::string> read_file_bytes(const std::string& path, std::string& error) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    error = path + " is a directory";
    return std::nullopt;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    error = "cannot read " + path + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::ostringstream bytes;
  bytes << file.rdbuf();
  if (file.bad()) {
    error = "cannot read " + path;
    return std::nullopt;
  }
  return std::move(bytes).str();
}

}  // namespace kite::cli
