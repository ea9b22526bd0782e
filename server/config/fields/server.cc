// [server]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection server_section() {
  using S = ServerConfig;
  return {
      "server",
      "Listeners, data directory, worker threads, security mode.",
      {
          choice(
              "server", "mode", kServer, &S::mode,
              {{"development", Mode::development}, {"production", Mode::production}},
              "Security mode: \"development\" or \"production\".\n"
              "development: every listener must be a loopback address; when no master key is set\n"
              "and admin.token is empty, both are generated at start and printed once.\n"
              "production: needs a device key source (auth.master_key, auth.master_key_file,\n"
              "auth.device_keys_file or auth.token_key), and admin.token (16+ characters) or\n"
              "[[admin.tokens]] entries."),
          list("server", "device_listen", kServer, &S::device_listen,
               "Device protocol listeners, \"host:port\".\n"
               "Hosts are numeric: IPv4 as 0.0.0.0:7000, IPv6 in brackets as [::1]:7000.\n"
               "Port 0 takes an ephemeral port (tests). In the environment: comma-separated."),
          text("server", "admin_listen", kServer, &S::admin_listen,
               "HTTP admin API listener, \"host:port\".\n"
               "Same syntax as device_listen; in development mode, loopback only."),
          text("server", "data_dir", kServer, &S::data_dir,
               "Directory of the durable store; created at start if missing."),
          integer("server", "workers", kServer, &S::workers, 0, 256,
                  "Worker threads (one libuv loop each); 0 = one per core."),
          integer("server", "drain_delay_ms", kServer, &S::drain_delay_ms, 0, 600000,
                  "On SIGTERM, how long /readyz answers 503 (draining) before devices are sent\n"
                  "away, so that load balancers stop sending new connections first."),
          integer("server", "drain_reconnect_spread_ms", kServer, &S::drain_reconnect_spread_ms, 0,
                  3600000,
                  "Devices sent away at shutdown are told to reconnect after a random delay up to\n"
                  "this, so that they do not all come back to the next server at once."),
      }};
}

}  // namespace kite::server::config::fields
