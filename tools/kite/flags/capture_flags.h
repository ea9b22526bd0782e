// The flags of the commands that read captures (decode, replay, dict train): --port, which
// tells the server side of a tcpdump capture's connections; and --dictionary FILE, repeatable:
// zstd dictionaries (from `kite dict train`) that frames were compressed with, which listen and
// replay also take to act as a device that holds them.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kite/protocol/compression.h"

namespace kite::cli {

void add_capture_port_flag(CLI::App& command, std::uint16_t& port);

void add_dictionary_flag(CLI::App& command, std::vector<std::string>& files,
                         const std::string& purpose);

// The files loaded by the id in each; null when none was given; null with `error` set when one
// does not load ("--dictionary: t.zdict: not a zstd dictionary with an id ...").
std::shared_ptr<const protocol::DictionarySet> load_dictionaries(
    const std::vector<std::string>& files, std::string& error);

}  // namespace kite::cli
