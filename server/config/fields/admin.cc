// [admin]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/admin_tokens.h"
#include "config/field_builders.h"
#include "config/fields/proxy_rows.h"

namespace kite::server::config::fields {

ConfigSection admin_section() {
  return {
      "admin",
      "The HTTP admin API: send, presence, kick, events, metrics. Its bearer tokens, who\n"
      "may connect to it, and its request limits.",
      {
          text("admin", "token", kAdmin, &AdminConfig::token,
               "Bearer token of the HTTP admin API with every scope, 16+ characters.\n"
               "Sent as \"Authorization: Bearer <token>\". Empty in development mode: generated\n"
               "at start and printed once. Optional in production when admin.tokens has entries.\n"
               "Prefer KITE_ADMIN_TOKEN to keep it out of this file. Reloaded on SIGHUP.",
               true),
          admin_tokens_row(
              "Named bearer tokens with scopes, as [[admin.tokens]] tables (file only):\n"
              "  [[admin.tokens]]\n"
              "  name = \"billing-backend\"   # in logs instead of the secret\n"
              "  token_sha256 = \"<64 hex digits>\"  # printf %s \"$TOKEN\" | sha256sum\n"
              "  scopes = [\"send\", \"read\"]\n"
              "Give token = \"<16+ characters>\" or token_sha256, not both. Scopes: \"send\"\n"
              "(messages, commands, group membership), \"read\" (devices, groups, events,\n"
              "/metrics), \"admin\" (everything, kick included). Reloaded on SIGHUP.\n"
              "Tables go after the other [admin] keys, replacing the \"tokens = []\" line; or\n"
              "inline: tokens = [{ name = \"grafana\", token_sha256 = \"...\", scopes = [\"read\"] "
              "}]"),
          list("admin", "allow", kAdmin, &AdminConfig::allow,
               "CIDR blocks that may connect to the admin port; empty = every address.\n"
               "Same syntax and rules as device.allow. Refused connections are closed at accept,\n"
               "without an HTTP answer. Reloaded on SIGHUP."),
          list("admin", "deny", kAdmin, &AdminConfig::deny,
               "CIDR blocks refused on the admin port; deny wins over allow.\n"
               "Reloaded on SIGHUP."),
          integer("admin", "max_connections_per_ip", kAdmin, &AdminConfig::max_connections_per_ip,
                  0, 1000000,
                  "Open HTTP connections per source (IPv4 address or IPv6 /64); 0 = no cap.\n"
                  "Over it a connection gets 429 and is closed. The admin port takes 1024\n"
                  "connections in all, so one client cannot hold every one. Reloaded on SIGHUP."),
          proxy_protocol_row("admin", kAdmin, &AdminConfig::proxy_protocol),
          proxy_from_row("admin", kAdmin, &AdminConfig::proxy_from),
          integer("admin", "max_body_bytes", kAdmin, &AdminConfig::max_body_bytes, 1024, 1073741824,
                  "Largest HTTP request body; larger requests get 413."),
          integer("admin", "head_timeout_ms", kAdmin, &AdminConfig::head_timeout_ms, 100, 600000,
                  "Longest a request line and headers may take from their first byte; a slower\n"
                  "client gets 408 and the connection ends. Also the grace before min_body_rate."),
          integer("admin", "min_body_rate", kAdmin, &AdminConfig::min_body_rate, 1, 1073741824,
                  "Bytes per second a request body must average (after head_timeout_ms of grace);\n"
                  "a slower client gets 408 and the connection ends."),
          integer("admin", "max_pending_commands_per_device", kAdmin,
                  &AdminConfig::max_pending_commands_per_device, 1, 100000,
                  "Commands awaiting one device's reply; more get 429."),
          integer("admin", "max_pending_commands", kAdmin, &AdminConfig::max_pending_commands, 1,
                  10000000, "Commands awaiting a reply over all devices; more get 429."),
          text("admin", "tls_cert_file", kAdmin, &AdminConfig::tls_cert_file,
               "Certificate chain (PEM, leaf first) of the admin API.\n"
               "With tls_key_file set too, the admin port speaks HTTPS only (TLS 1.2 or 1.3, no\n"
               "client certificates): plain HTTP to it is closed. Both or neither. Needs a "
               "restart."),
          text("admin", "tls_key_file", kAdmin, &AdminConfig::tls_key_file,
               "Private key (PEM) of admin.tls_cert_file."),
      }};
}

}  // namespace kite::server::config::fields
