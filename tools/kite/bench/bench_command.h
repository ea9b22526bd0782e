// `kite bench p2p|uplink|conn|idle|fanout|storm`: load scenarios against a running kited.
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_bench_commands(CLI::App& app, Commands& commands);

}  // namespace kite::cli
