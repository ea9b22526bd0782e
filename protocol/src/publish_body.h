// The Publish message body, built the same way by a session (one receiver) and by
// SharedPublish (many receivers), so both put the same bytes on the wire.
#pragma once

#include <cstdint>

#include "kite/protocol/limits.h"
#include "kite/protocol/session_types.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

// Whether every string field of `m` is within its protocol limit.
inline bool publish_fields_fit(const OutgoingMessage& m) {
  return m.topic.size() <= limits::kTopic && m.content_type.size() <= limits::kContentType &&
         m.conflation_key.size() <= limits::kConflationKey &&
         m.message_id.size() <= limits::kMessageId && m.target.size() <= limits::kDeviceId;
}

// Builds the Publish table of `m` with `seq` into `b` (absent strings are left out).
inline flatbuffers::Offset<wire::Publish> build_publish(flatbuffers::FlatBufferBuilder& b,
                                                        std::uint64_t seq,
                                                        const OutgoingMessage& m) {
  const auto text = [&b](std::string_view s) {
    return s.empty() ? 0 : b.CreateString(s.data(), s.size());
  };
  auto topic = text(m.topic);
  auto content_type = text(m.content_type);
  auto key = text(m.conflation_key);
  auto payload = b.CreateVector(m.payload.data(), m.payload.size());
  auto message_id = text(m.message_id);
  auto target = text(m.target);
  return wire::CreatePublish(b, seq, m.qos, m.ttl_ms, topic, content_type, key, payload, message_id,
                             target);
}

}  // namespace kite::protocol
