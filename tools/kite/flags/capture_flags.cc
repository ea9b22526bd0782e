#include "flags/capture_flags.h"

#include "kite/protocol/trained_dictionary.h"

namespace kite::cli {
namespace {

// The tools decompress, or compress as a device whose level kited does not see: zstd's default.
constexpr int kLevel = 3;

}  // namespace

void add_capture_port_flag(CLI::App& command, std::uint16_t& port) {
  command
      .add_option("--port", port,
                  "tcpdump captures: the captured kited's device port, which tells the server "
                  "side of each TCP connection")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
}

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
  std::size_t failed = 0;
  if (auto problem = protocol::add_trained_dictionary_files(*set, files, kLevel, failed);
      !problem.empty()) {
    error = "--dictionary: " + problem;
    return nullptr;
  }
  return set;
}

}  // namespace kite::cli
