// Keys on the command line: hex text given directly (--master-key, --token-key, or their
// KITE_AUTH_* variables, as kited reads them) or in a file of hex text (--master-key-file), at
// least 32 bytes, as kited requires. Shared by `kite keys`, `kite listen` and `kite bench`.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace kite::cli {

inline constexpr std::size_t kMinKeyBytes = 32;

// A CLI11 check: 64 or more hex digits.
extern const CLI::Validator kHexKey;

// One key: --NAME HEX, or --NAME-file PATH (hex text), or else the variable kited reads for it,
// which keeps the key out of `ps`.
struct KeySource {
  std::string hex, path;
  std::string environment;  // e.g. KITE_AUTH_MASTER_KEY
  CLI::Option* hex_option = nullptr;
  CLI::Option* file_option = nullptr;

  bool on_command_line() const;  // --NAME or --NAME-file was given
  bool given() const;            // on the command line, or the variable is set
};

// Adds --NAME and --NAME-file (they exclude each other) to `command`; `what` names the key in
// the help. The variable is read by read_key(), not by CLI11: CLI11 would count it as a --NAME
// given, so a variable exported for kited would make an explicit --NAME-file a usage error.
void add_key_source(CLI::App& command, const std::string& name, const std::string& environment,
                    const std::string& what, KeySource& source);

// The key from --NAME, else from the file (surrounding blanks ignored), else from the variable;
// nullopt with `error` set when none gives a key.
std::optional<std::vector<std::uint8_t>> read_key(const KeySource& source, std::string& error);

}  // namespace kite::cli
