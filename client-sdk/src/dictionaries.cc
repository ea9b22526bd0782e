#include "dictionaries.h"

#include <memory>

#include "kite/protocol/trained_dictionary.h"

namespace kite::sdk {

std::string load_dictionaries(const std::vector<std::string>& files,
                              protocol::SessionConfig& config) {
  if (files.empty()) return {};
  auto set = std::make_shared<protocol::DictionarySet>();
  std::size_t failed = 0;
  if (auto problem =
          protocol::add_trained_dictionary_files(*set, files, config.compression.level, failed);
      !problem.empty()) {
    // Appended piece by piece: GCC 12 at -O3 warns (-Wrestrict, a false positive) about
    // `"literal" + std::to_string(...)`.
    std::string where = "dictionary_files";
    if (failed < files.size()) where.append("[").append(std::to_string(failed)).append("]");
    return where.append(": ").append(problem);
  }
  config.dictionaries = std::move(set);
  return {};
}

}  // namespace kite::sdk
