// kited's life once its configuration has loaded: the secrets, the server and its workers, the
// event log, the admin API and the signals, until a drain ends it.
#pragma once

#include <string>

#include "config/config.h"

namespace kite::server::boot {

// Returns kited's exit code. `argc`/`argv` are read again on SIGHUP.
int run(config::Config config, const std::string& config_file, int argc, char** argv);

}  // namespace kite::server::boot
