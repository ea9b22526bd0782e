// `kite dict train FILE...`: a zstd dictionary from the payloads of Kite recordings and tcpdump
// captures, for kited's [compression] dictionary_file and the devices' dictionary_files; and
// `kite dict info FILE`: which dictionary a file holds.
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_dict_commands(CLI::App& app, Commands& commands);

}  // namespace kite::cli
