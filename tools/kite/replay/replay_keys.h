// The keys `kite replay` authenticates its devices with: derived from the fleet master key
// (HMAC-SHA256(master, id), as kited and kite listen derive them) or read from a key file of
// "device-id hexkey" lines. Captured handshakes are never reused: each device proves itself
// afresh with its own key.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kite/protocol/handshake_crypto.h"

namespace kite::cli {

class ReplayKeys {
 public:
  static ReplayKeys from_master(std::vector<std::uint8_t> master);
  // Lines "device-id hexkey" (64 hex digits); blank lines and lines starting with # are skipped.
  // nullopt with `error` set when the file cannot be read or a line is malformed.
  static std::optional<ReplayKeys> from_file(const std::string& path, std::string& error);

  // nullopt when the key file does not name `device_id`.
  std::optional<protocol::DeviceKey> key_for(const std::string& device_id) const;

 private:
  std::vector<std::uint8_t> master_;
  std::map<std::string, protocol::DeviceKey> listed_;
};

}  // namespace kite::cli
