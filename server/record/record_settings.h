// What is recorded, and where: [record] of kited.toml, changed at run time by PUT /v1/recording
// and by SIGHUP. Each worker holds the settings it was last given (a shared, immutable copy).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kite::server::record {

struct RecordSettings {
  bool enabled = false;
  // The devices whose connections are recorded, sorted and without duplicates (see choose());
  // empty: every connection, services included.
  std::vector<std::string> devices;
  std::filesystem::path directory = "recordings";
  std::uint64_t max_file_bytes = std::uint64_t{64} << 20;
  std::uint32_t max_files = 16;  // per worker

  bool every_connection() const { return devices.empty(); }
  bool chooses(std::string_view device) const;
  // Sets `devices` from any list: sorted, duplicates removed.
  void choose(std::vector<std::string> list);
  bool operator==(const RecordSettings&) const = default;
};

}  // namespace kite::server::record
