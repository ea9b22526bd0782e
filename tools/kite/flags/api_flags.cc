#include "flags/api_flags.h"

#include "common/duration.h"

namespace kite::cli {

void add_api_options(CLI::App& command, ApiOptions& options, const std::string& timeout_flag) {
  command.add_option("--api", options.url, "kited's admin API, http://HOST:PORT (env KITE_API)")
      ->envname("KITE_API")
      ->check([](const std::string& url) -> std::string {
        if (url.starts_with("http://") || url.find("://") == std::string::npos) return {};
        return "kite speaks plain http:// to the admin API (keep it on a private address)";
      })
      ->capture_default_str();
  command
      .add_option("--token", options.token,
                  "the admin API's bearer token, kited's admin.token (env KITE_ADMIN_TOKEN)")
      ->envname("KITE_ADMIN_TOKEN");
  command
      .add_option(timeout_flag, options.timeout,
                  "give up on a request after this long (ms, or with a unit: 5s)")
      ->check(kDuration)
      ->capture_default_str();
}

}  // namespace kite::cli
