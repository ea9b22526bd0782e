// kited's rules for the names kite puts on the wire: a device id and a group name. Checked here
// so that a mistake is a usage error with the rule in it, not a refusal from the server later.
#pragma once

#include <string>

namespace kite::cli {

// "" when kited accepts `id` as a device id (kite/protocol/device_id.h), else the
// problem. A service id ("service:...") is refused unless `allow_service`: services have keys of
// their own (auth.service_keys), never derived ones.
std::string device_id_problem(const std::string& id, bool allow_service);

// "" when kited accepts `group` as a group name (1-128 bytes, no control characters or '/'),
// else the problem.
std::string group_problem(const std::string& group);

}  // namespace kite::cli
