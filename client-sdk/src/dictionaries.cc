#include "dictionaries.h"

#include <memory>

#include "kite/protocol/limits.h"
#include "kite/protocol/trained_dictionary.h"

namespace kite::sdk {

std::string load_dictionaries(const std::vector<std::string>& files,
                              protocol::SessionConfig& config) {
  if (files.empty()) return {};
  if (files.size() > protocol::limits::kDictionaries)
    return "dictionary_files: at most " + std::to_string(protocol::limits::kDictionaries) +
           " (a hello lists no more), got " + std::to_string(files.size());
  auto set = std::make_shared<protocol::DictionarySet>();
  for (std::size_t i = 0; i < files.size(); ++i) {
    std::uint16_t id = 0;
    auto problem =
        protocol::add_trained_dictionary_file(*set, files[i], config.compression.level, id);
    if (!problem.empty()) return "dictionary_files[" + std::to_string(i) + "]: " + problem;
  }
  config.dictionaries = std::move(set);
  return {};
}

}  // namespace kite::sdk
