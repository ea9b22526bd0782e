#include "record/recording_files.h"

#include <algorithm>

namespace kite::server::record {

std::vector<RecordingFile> recording_files(const std::filesystem::path& directory) {
  std::vector<RecordingFile> files;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(directory, error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with("kite-") || !name.ends_with(".pcap")) continue;
    std::error_code size_error;  // a file a worker deletes meanwhile is left out
    if (!entry.is_regular_file(size_error)) continue;
    const auto size = entry.file_size(size_error);
    if (!size_error) files.push_back({name, size});
  }
  std::sort(files.begin(), files.end(),
            [](const RecordingFile& a, const RecordingFile& b) { return a.name < b.name; });
  return files;
}

}  // namespace kite::server::record
