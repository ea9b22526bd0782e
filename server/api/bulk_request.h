// The body of POST /v1/messages, checked: who to send to (a device list, a group, everyone),
// one message or a batch of them, and how detailed the answer should be. Pure: reads JSON, knows
// nothing of the server (a group is resolved later), so every refusal is unit-testable.
#pragma once

#include <nlohmann/json.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "api/api_helpers.h"

namespace kite::server::api {

inline constexpr std::size_t kMaxListTargets = 10'000;
inline constexpr std::size_t kMaxBatchMessages = 256;
inline constexpr std::size_t kMaxBatchPayloadBytes = 1u << 20;  // all payloads of one batch
// A batch addresses messages x devices deliveries, each with its own store answer at QoS 1:
// at most this many in one call (256 messages to 10,000 devices).
inline constexpr std::size_t kMaxBatchDeliveries = 2'560'000;
// A batch answered per device holds messages x devices results: above this, ask for a summary.
inline constexpr std::size_t kMaxBatchResults = 1'000'000;
// One message to a group or to everyone, above this many devices, is answered with the counts
// only: a JSON entry per device would cost the admin loop more than the send itself.
inline constexpr std::size_t kMaxDetailedTargets = 10'000;

struct BulkRequest {
  enum class Targets { Devices, Group, All };
  Targets targets = Targets::Devices;
  std::vector<std::string> devices;   // Targets::Devices
  std::string group;                  // Targets::Group
  std::vector<SendRequest> messages;  // one, or 1..kMaxBatchMessages with `batch`
  bool batch = false;                 // the "messages" form: the answer is per message
  bool summary_only = false;          // "report": "summary": counts, no per-device results
};

// Checks `body` (a parsed JSON value); "" when valid, else the problem detail for a 400.
std::string parse_bulk_request(const nlohmann::json& body, const AdminApiOptions& options,
                               BulkRequest& out);

}  // namespace kite::server::api
