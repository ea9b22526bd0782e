#include "replay/replay_keys.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "kite/protocol/hex.h"

namespace kite::cli {

ReplayKeys ReplayKeys::from_master(std::vector<std::uint8_t> master) {
  ReplayKeys keys;
  keys.master_ = std::move(master);
  return keys;
}

std::optional<ReplayKeys> ReplayKeys::from_file(const std::string& path, std::string& error) {
  std::ifstream in(path);
  if (!in) {
    error = "cannot read --key-file " + path;
    return std::nullopt;
  }
  ReplayKeys keys;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::istringstream words(line);
    std::string id, hex, extra;
    if (!(words >> id) || id.front() == '#') continue;
    auto bytes = (words >> hex) && !(words >> extra) ? protocol::hex_decode(hex) : std::nullopt;
    if (!bytes || bytes->size() != protocol::kKeySize) {
      error =
          path + ":" + std::to_string(number) + ": expected \"device-id hexkey\" (64 hex digits)";
      return std::nullopt;
    }
    std::copy(bytes->begin(), bytes->end(), keys.listed_[id].begin());
  }
  return keys;
}

std::optional<protocol::DeviceKey> ReplayKeys::key_for(const std::string& device_id) const {
  if (!master_.empty()) return protocol::derive_device_key(master_, device_id);
  auto it = listed_.find(device_id);
  if (it == listed_.end()) return std::nullopt;
  return it->second;
}

}  // namespace kite::cli
