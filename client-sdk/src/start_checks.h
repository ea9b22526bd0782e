// What start() checks before it dials: the options every connection needs and the credentials
// the Hello carries. Each problem is one sentence naming the option, for Client::start_error().
#pragma once

#include <string>

#include "kite/client.h"
#include "kite/protocol/session_types.h"

namespace kite::sdk {

// Fills `credentials` (device id, method, key or token, agent) from `options`; returns "" when
// the options are usable, else what is wrong with them. The nonce is left for each connection.
std::string check_options(const ClientOptions& options, protocol::ClientCredentials& credentials);

}  // namespace kite::sdk
