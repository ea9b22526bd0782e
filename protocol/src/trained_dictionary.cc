#include "kite/protocol/trained_dictionary.h"

#include <zdict.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include "kite/protocol/limits.h"

namespace kite::protocol {
namespace {

// zstd dictionaries are a few KiB to a few hundred; a far bigger file is the wrong one.
constexpr std::size_t kMaxDictionaryBytes = 16u << 20;

std::string read_file(const std::string& path, std::vector<std::uint8_t>& bytes) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file(std::fopen(path.c_str(), "rb"),
                                                       &std::fclose);
  if (!file) return std::string("cannot open it: ") + std::strerror(errno);
  std::uint8_t chunk[4096];
  while (std::size_t n = std::fread(chunk, 1, sizeof chunk, file.get())) {
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (bytes.size() > kMaxDictionaryBytes) return "larger than 16 MiB: not a dictionary";
  }
  if (std::ferror(file.get())) return std::string("cannot read it: ") + std::strerror(errno);
  return {};
}

}  // namespace

std::uint32_t dictionary_id(std::span<const std::uint8_t> bytes) {
  return static_cast<std::uint32_t>(ZDICT_getDictID(bytes.data(), bytes.size()));
}

std::string add_trained_dictionary(DictionarySet& set, std::span<const std::uint8_t> bytes,
                                   int level, std::uint16_t& id) {
  const std::uint32_t found = dictionary_id(bytes);
  if (found == 0) return "not a zstd dictionary with an id (make one with `kite dict train`)";
  if (found > std::numeric_limits<std::uint16_t>::max())
    return "dictionary id " + std::to_string(found) +
           " is above 65535, which frames cannot carry (train it again with `kite dict train "
           "--id N`)";
  const auto ids = set.ids();
  if (std::find(ids.begin(), ids.end(), found) != ids.end())
    return "dictionary id " + std::to_string(found) + " is given twice";
  if (!set.add(static_cast<std::uint16_t>(found), bytes, level))
    return "zstd refused the dictionary (a damaged file?)";
  id = static_cast<std::uint16_t>(found);
  return {};
}

std::string add_trained_dictionary_file(DictionarySet& set, const std::string& path, int level,
                                        std::uint16_t& id) {
  std::vector<std::uint8_t> bytes;
  std::string problem = read_file(path, bytes);
  if (problem.empty()) problem = add_trained_dictionary(set, bytes, level, id);
  return problem.empty() ? problem : path + ": " + problem;
}

std::string add_trained_dictionary_files(DictionarySet& set, std::span<const std::string> paths,
                                         int level, std::size_t& failed) {
  failed = paths.size();
  if (paths.size() > limits::kDictionaries)
    return "at most " + std::to_string(limits::kDictionaries) +
           " dictionaries (a hello lists no more), got " + std::to_string(paths.size());
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::uint16_t id = 0;
    if (auto problem = add_trained_dictionary_file(set, paths[i], level, id); !problem.empty()) {
      failed = i;
      return problem;
    }
  }
  return {};
}

}  // namespace kite::protocol
