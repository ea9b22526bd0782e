// The recording files in a directory, as GET /v1/recording lists them: every worker's, from this
// run and earlier ones, with their sizes on disk (what the writers have flushed so far).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace kite::server::record {

struct RecordingFile {
  std::string name;  // the file name, without the directory
  std::uint64_t bytes = 0;
};

// Files named kite-*.pcap, by name (so by time, then worker); none if the directory is missing.
std::vector<RecordingFile> recording_files(const std::filesystem::path& directory);

}  // namespace kite::server::record
