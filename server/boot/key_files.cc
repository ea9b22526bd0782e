#include "boot/key_files.h"

#include <fstream>

#include "kite/protocol/hex.h"

namespace kite::server {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::vector<std::uint8_t>> hex_decode(std::string_view hex) {
  return protocol::hex_decode(trim(hex));
}

std::string load_key_file(const std::string& path,
                          std::unordered_map<std::string, protocol::DeviceKey>& keys) {
  std::ifstream in(path);
  if (!in) return path + ": cannot read the key file";
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string_view text = trim(line);
    if (text.empty() || text.front() == '#') continue;
    auto space = text.find_first_of(" \t");
    if (space == std::string_view::npos)
      return path + ":" + std::to_string(number) + ": expected \"id hexkey\"";
    std::string id(text.substr(0, space));
    auto key = hex_decode(text.substr(space + 1));
    if (!key || key->size() != protocol::kKeySize)
      return path + ":" + std::to_string(number) + ": the key of " + id +
             " must be 64 hex digits (32 bytes)";
    protocol::DeviceKey device_key{};
    std::copy(key->begin(), key->end(), device_key.begin());
    keys[id] = device_key;
  }
  return {};
}

std::string load_id_list(const std::string& path, std::unordered_set<std::string>& ids) {
  std::ifstream in(path);
  if (!in) return path + ": cannot read the list";
  std::string line;
  while (std::getline(in, line)) {
    std::string_view text = trim(line);
    if (!text.empty() && text.front() != '#') ids.emplace(text);
  }
  return {};
}

std::string read_secret_file(const std::string& path, std::string& hex) {
  std::ifstream in(path);
  if (!in) return path + ": cannot read the secret file";
  std::getline(in, hex);
  hex = std::string(trim(hex));
  return {};
}

}  // namespace kite::server
