#include "flags/key_flags.h"

#include <cstdlib>

#include "common/payload.h"
#include "kite/protocol/hex.h"

namespace kite::cli {
namespace {

std::string trim(std::string text) {
  const auto blank = " \t\r\n";
  text.erase(0, text.find_first_not_of(blank));
  text.erase(text.find_last_not_of(blank) + 1);
  return text;
}

std::optional<std::vector<std::uint8_t>> decode_key(const std::string& hex) {
  auto bytes = protocol::hex_decode(hex);
  if (!bytes || bytes->size() < kMinKeyBytes) return std::nullopt;
  return bytes;
}

}  // namespace

const CLI::Validator kHexKey(
    [](std::string& text) -> std::string {
      return decode_key(text) ? "" : "expected a key of 64 or more hex digits";
    },
    "HEX KEY");

bool KeySource::on_command_line() const {
  return (hex_option && hex_option->count() > 0) || (file_option && file_option->count() > 0);
}

bool KeySource::given() const {
  return on_command_line() || (!environment.empty() && std::getenv(environment.c_str()));
}

void add_key_source(CLI::App& command, const std::string& name, const std::string& environment,
                    const std::string& what, KeySource& source) {
  source.environment = environment;
  source.hex_option =
      command.add_option("--" + name, source.hex, what + " (hex; env " + environment + ")")
          ->check(kHexKey);
  source.file_option =
      command.add_option("--" + name + "-file", source.path, "a file holding " + what + " (hex)")
          ->check(CLI::ExistingFile);
  source.hex_option->excludes(source.file_option);
}

std::optional<std::vector<std::uint8_t>> read_key(const KeySource& source, std::string& error) {
  std::string text = source.hex, origin = "the key";
  if (text.empty() && !source.path.empty()) {
    auto contents = read_file_bytes(source.path, error);
    if (!contents) return std::nullopt;
    text = trim(std::move(*contents));
    origin = source.path;
  } else if (text.empty()) {
    const char* variable =
        source.environment.empty() ? nullptr : std::getenv(source.environment.c_str());
    if (!variable) {
      error = "no key given";
      return std::nullopt;
    }
    text = trim(variable);
    origin = source.environment;
  }
  auto key = decode_key(text);
  if (!key) error = origin + " is not a key of 64 or more hex digits";
  return key;
}

}  // namespace kite::cli
