// --dictionary FILE, repeatable: zstd dictionaries (from `kite dict train`) for the commands
// that read frames compressed with one (decode, replay, dict train) or that act as a device
// which holds them (listen, replay).
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "kite/protocol/compression.h"

namespace kite::cli {

void add_dictionary_flag(CLI::App& command, std::vector<std::string>& files,
                         const std::string& purpose);

// The files loaded by the id in each; null when none was given; null with `error` set when one
// does not load ("--dictionary: t.zdict: not a zstd dictionary with an id ...").
std::shared_ptr<const protocol::DictionarySet> load_dictionaries(
    const std::vector<std::string>& files, std::string& error);

}  // namespace kite::cli
