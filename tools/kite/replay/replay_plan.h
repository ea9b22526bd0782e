// What `kite replay` plays for one captured device connection: the device id its Hello named and
// the uplink messages it sent after the handshake, decoded and owned, each with its offset from
// the first of them. Replay re-issues them through a fresh session rather than writing the
// captured bytes: sequence numbers, credit and the handshake's nonces would not match.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kite/capture/transcript.h"
#include "kite/protocol/compression.h"
#include "kite/protocol/session_types.h"

namespace kite::cli {

enum class ReplayStepKind : std::uint8_t { Publish, Reply, Subscribe, Unsubscribe };

// One captured uplink message, with the fields the session API takes.
struct ReplayStep {
  ReplayStepKind kind = ReplayStepKind::Publish;
  std::int64_t offset_ns = 0;  // from the connection's first step
  std::vector<std::uint8_t> payload;
  protocol::Qos qos = protocol::Qos::AtMostOnce;
  std::uint32_t ttl_ms = 0;
  std::string topic, content_type, conflation_key, message_id;
  std::uint64_t id = 0;      // Reply: the command id; Subscribe: the request id
  std::uint16_t status = 0;  // Reply
  std::vector<std::string> groups;
};

struct DevicePlan {
  std::string connection;  // the capture's name for it ("#42", "tcp#3")
  std::string device_id;   // from its Hello; empty when the Hello was not captured
  std::vector<ReplayStep> steps;
  // Captured counts the replay is compared with.
  std::uint64_t captured_uplink = 0;    // steps: the uplink frames replay re-issues
  std::uint64_t captured_downlink = 0;  // downlink Publish frames (messages to the device)
  std::uint64_t captured_acks = 0;      // downlink Ack frames
  std::uint64_t skipped_uplink = 0;     // Ack, Ping, Credit...: the new session makes its own
  std::vector<std::string> problems;    // frames that did not decode, capture errors
};

// One plan per connection, in connection order. Connections whose Hello is missing get a plan
// with an empty device_id and a problem (they cannot be replayed). Frames compressed with a
// dictionary decode when it is among `dictionaries`.
std::vector<DevicePlan> plan_replay(const std::map<capture::ConnectionKey, capture::Transcript>&,
                                    std::shared_ptr<const protocol::DictionarySet> dictionaries);

}  // namespace kite::cli
