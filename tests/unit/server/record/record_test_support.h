// What the record tests share: frames built as they travel, and the recording files of a
// directory in name order. Temporary directories are test_pki.h's TempDir.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "kite/protocol/frame_header.h"
#include "test_pki.h"

namespace kite::test {

// One frame as on the wire: header, `length` body bytes (a pattern from `seed`), zero padding.
inline std::vector<std::uint8_t> make_frame(std::size_t length, std::uint8_t seed) {
  std::vector<std::uint8_t> frame(protocol::frame_size(length), 0);
  protocol::write_header({static_cast<std::uint32_t>(length), 0, 0}, frame.data());
  for (std::size_t i = 0; i < length; ++i)
    frame[protocol::kHeaderSize + i] = static_cast<std::uint8_t>(seed + i * 7);
  return frame;
}

// kite-<stamp>-w<worker>-<n>.pcap: the order files were started in (n counts up, past 9 too).
inline std::tuple<std::string, std::uint64_t, std::uint64_t> file_order(
    const std::filesystem::path& path) {
  const std::string name = path.filename().string();
  const auto worker_at = name.find("-w", 5), n_at = name.rfind('-');
  if (worker_at == std::string::npos || n_at == std::string::npos || n_at <= worker_at)
    return {name, 0, 0};
  return {name.substr(0, worker_at), std::stoull(name.substr(worker_at + 2, n_at - worker_at - 2)),
          std::stoull(name.substr(n_at + 1))};
}

inline std::vector<std::filesystem::path> pcap_files(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    if (entry.path().extension() == ".pcap") files.push_back(entry.path());
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return file_order(a) < file_order(b); });
  return files;
}

}  // namespace kite::test
