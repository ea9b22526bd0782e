#include "cli/dictionary_flag.h"

#include "kite/protocol/trained_dictionary.h"

namespace kite::cli {

void add_dictionary_flag(CLI::App& command, std::vector<std::string>& files,
                         const std::string& purpose) {
  command.add_option("--dictionary", files, purpose + " (repeatable)")
      ->type_name("FILE")
      ->allow_extra_args(false)  // one file per --dictionary: the capture files follow
      ->check(CLI::ExistingFile);
}

std::shared_ptr<const protocol::DictionarySet> load_dictionaries(
    const std::vector<std::string>& files, std::string& error) {
  if (files.empty()) return nullptr;
  auto set = std::make_shared<protocol::DictionarySet>();
  for (const auto& file : files) {
    std::uint16_t id = 0;
    if (auto problem = protocol::add_trained_dictionary_file(*set, file, 3, id); !problem.empty()) {
      error = "--dictionary: " + problem;
      return nullptr;
    }
  }
  return set;
}

}  // namespace kite::cli
