// The body of PUT /v1/recording: {"enabled": true|false, "devices": ["id", ...] | null}. Parsed
// and checked here, apart from the route, so that every refusal can be tested on its own.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace kite::server::api {

struct RecordingChange {
  bool enabled = false;
  // The devices to record; nullopt (the member null or absent): every connection.
  std::optional<std::vector<std::string>> devices;
};

// "" when `body` is a valid change (then in `change`), else the problem detail for a 400: not
// JSON, not an object, an unknown member, "enabled" missing or not a boolean, "devices" neither
// null nor a non-empty array of device ids (config/validate.h device_id_problem), too many ids.
std::string parse_recording_change(const std::string& body, RecordingChange& change);

}  // namespace kite::server::api
