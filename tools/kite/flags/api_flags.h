// The options of the commands that call kited's admin API (send, devices, device): where it is
// (--api, KITE_API), the bearer token (--token, KITE_ADMIN_TOKEN) and how long a request may take
// (--timeout). ApiClient (common/api_client.h) is made from them.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

namespace kite::cli {

struct ApiOptions {
  std::string url = "http://127.0.0.1:7080";
  std::string token;
  std::string timeout = "30s";  // a duration (common/duration.h)
};

// Adds --api, --token and --timeout to a subcommand. A command whose --timeout (-W) means how
// long it runs (kite events, as kite listen's) names the per-request one `timeout_flag` instead.
void add_api_options(CLI::App& command, ApiOptions& options,
                     const std::string& timeout_flag = "--timeout");

}  // namespace kite::cli
