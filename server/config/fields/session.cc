// [session]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection session_section() {
  using Se = SessionConfig;
  return {
      "session",
      "Limits of each device connection, offered in the handshake.",
      {
          integer("session", "max_frame", kSession, &Se::max_frame, 8192, 16777216,
                  "Largest frame either side may send, after decompression."),
          integer("session", "receive_window", kSession, &Se::receive_window, 1, 65535,
                  "Messages a device may send before it needs more credit."),
          integer("session", "keepalive_ms", kSession, &Se::keepalive_ms, 1000, 3600000,
                  "Largest keep-alive interval a device may ask for."),
          integer("session", "min_keepalive_ms", kSession, &Se::min_keepalive_ms, 100, 3600000,
                  "Smallest keep-alive interval a device may ask for.\n"
                  "At most keepalive_ms."),
          integer("session", "keepalive_factor_percent", kSession, &Se::keepalive_factor_percent,
                  110, 1000,
                  "Silence allowed, in % of the keep-alive, before closing.\n"
                  "150 closes a connection silent for 1.5 keep-alive intervals."),
          integer("session", "write_high_water_bytes", kSession, &Se::write_high_water_bytes, 1024,
                  1073741824,
                  "Socket write queue size at which feeding a connection stops.\n"
                  "Its backlog then stays in the store, not in memory."),
          integer("session", "uplink_rate_per_s", kSession, &Se::uplink_rate_per_s, 1, 1000000,
                  "Frames per second a device may send (each frame costs a token, acks and\n"
                  "credits 1/16, plus one per 16 KiB of body after decompression).\n"
                  "Above the rate the server stops reading that socket."),
          integer("session", "uplink_burst", kSession, &Se::uplink_burst, 1, 10000000,
                  "Tokens a device may spend at once above that rate.\n"
                  "The token bucket size."),
          choice(
              "session", "device_groups", kSession, &Se::device_groups,
              {{"auto", DeviceGroups::automatic},
               {"allow", DeviceGroups::allow},
               {"deny", DeviceGroups::deny},
               {"prefix", DeviceGroups::prefix}},
              "Which groups devices may join and leave themselves (Subscribe/Unsubscribe):\n"
              "\"allow\" any, \"deny\" none, \"prefix\" those starting with device_group_pattern;\n"
              "\"auto\": allow in development mode, deny in production (docs/security.md).\n"
              "Either way the admin API manages membership; a device is in at most 256 groups."),
          text("session", "device_group_pattern", kSession, &Se::device_group_pattern,
               "device_groups = \"prefix\": the start of the group names a device may manage.\n"
               "{device_id} is the device id, {device_prefix} the device id up to its first '-':\n"
               "\"tenant-{device_prefix}-\" lets acme-0042 manage tenant-acme-* only."),
      }};
}

}  // namespace kite::server::config::fields
