// [auth]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection auth_section() {
  using A = AuthConfig;
  return {
      "auth",
      "How devices and services prove who they are. Device keys come from the master key\n"
      "(derived per device) and/or device_keys_file; token_key adds signed tokens. Key,\n"
      "revocation and credential files are re-read on SIGHUP.",
      {
          text("auth", "master_key", kAuth, &A::master_key,
               "Fleet master key, hex, 32+ bytes (64+ hex digits).\n"
               "A device's key is HMAC-SHA256(master key, device id). Prefer master_key_file or\n"
               "KITE_AUTH_MASTER_KEY to keep it out of this file. Exclusive with master_key_file.",
               true),
          text("auth", "master_key_file", kAuth, &A::master_key_file,
               "File holding the hex master key.\n"
               "Surrounding whitespace is ignored. Exclusive with master_key."),
          text("auth", "device_keys_file", kAuth, &A::device_keys_file,
               "Per-device keys file: lines \"device-id hexkey\".\n"
               "# starts a comment. Reloaded on SIGHUP. A listed key takes precedence over the\n"
               "key derived from the master key."),
          text("auth", "token_key", kAuth, &A::token_key,
               "Hex key verifying signed device tokens; empty = no token auth.\n"
               "32+ bytes (64+ hex digits). Prefer KITE_AUTH_TOKEN_KEY to this file.",
               true),
          text("auth", "revocation_file", kAuth, &A::revocation_file,
               "Revoked device ids file, one id per line.\n"
               "# starts a comment. Reloaded on SIGHUP, which also closes the live sessions of\n"
               "newly revoked devices."),
          text("auth", "service_credentials_file", kAuth, &A::service_credentials_file,
               "Service credentials file: lines \"service-name hexkey\".\n"
               "For backends that send and receive over the binary protocol. # starts a comment."),
          integer("auth", "handshake_timeout_ms", kAuth, &A::handshake_timeout_ms, 100, 300000,
                  "Time allowed from accept to a completed handshake.\n"
                  "A connection still unauthenticated then is closed."),
          integer("auth", "max_unauthenticated_per_ip", kAuth, &A::max_unauthenticated_per_ip, 1,
                  1000000, "Unauthenticated connections allowed per client IP."),
          integer("auth", "failed_auth_backoff_base_ms", kAuth, &A::failed_auth_backoff_base_ms, 0,
                  3600000,
                  "First delay imposed on an IP after a failed authentication.\n"
                  "It doubles with each further failure, up to failed_auth_backoff_max_ms.\n"
                  "0 = no back-off."),
          integer("auth", "failed_auth_backoff_max_ms", kAuth, &A::failed_auth_backoff_max_ms, 0,
                  86400000,
                  "Largest failed-authentication delay.\n"
                  "At least failed_auth_backoff_base_ms."),
          boolean("auth", "token_over_plaintext", kAuth, &A::token_over_plaintext,
                  "Production mode: accept Token logins on the plain (non-TLS) device listener.\n"
                  "A token is a bearer credential anyone on the path can reuse until it expires,\n"
                  "so they are refused (AuthFailed) unless this is true. Development mode always\n"
                  "accepts them. Each accepted one is logged as a warning."),
      }};
}

}  // namespace kite::server::config::fields
