// Reading the credential files named in the config: key files (lines "id hexkey") and id lists
// (revocations, one id per line). Blank lines and # comments are skipped; errors name the file
// and line and never echo key material.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "kite/protocol/handshake_crypto.h"

namespace kite::server {

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view hex);

// "" on success, else what is wrong (file:line: problem).
std::string load_key_file(const std::string& path,
                          std::unordered_map<std::string, protocol::DeviceKey>& keys);
std::string load_id_list(const std::string& path, std::unordered_set<std::string>& ids);
std::string read_secret_file(const std::string& path, std::string& hex);

}  // namespace kite::server
