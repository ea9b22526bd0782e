#include "publish_body.h"

#include "fb_views.h"
#include "kite/protocol/limits.h"

namespace kite::protocol {

bool publish_fields_fit(const OutgoingMessage& m) {
  return m.topic.size() <= limits::kTopic && m.content_type.size() <= limits::kContentType &&
         m.conflation_key.size() <= limits::kConflationKey &&
         m.message_id.size() <= limits::kMessageId && m.target.size() <= limits::kDeviceId;
}

flatbuffers::Offset<wire::Publish> build_publish(flatbuffers::FlatBufferBuilder& b,
                                                 std::uint64_t seq, const OutgoingMessage& m) {
  auto topic = string_or_null(b, m.topic);
  auto content_type = string_or_null(b, m.content_type);
  auto key = string_or_null(b, m.conflation_key);
  auto payload = b.CreateVector(m.payload.data(), m.payload.size());  // present even when empty
  auto message_id = string_or_null(b, m.message_id);
  auto target = string_or_null(b, m.target);
  return wire::CreatePublish(b, seq, m.qos, m.ttl_ms, topic, content_type, key, payload, message_id,
                             target);
}

Refusal check_publish(const wire::Publish& publish) {
  if (publish.qos() > Qos::AtLeastOnce) return {Reason::LimitExceeded, "unknown qos"};
  const bool sequenced = publish.qos() == Qos::AtLeastOnce;
  if ((sequenced && publish.seq() == 0) || publish.seq() > limits::kMaxSeq)
    return {Reason::InvalidSequence, "QoS 1 publish seq must be in 1 .. 2^63 - 1"};
  if (length(publish.topic()) > limits::kTopic ||
      length(publish.content_type()) > limits::kContentType ||
      length(publish.conflation_key()) > limits::kConflationKey ||
      length(publish.message_id()) > limits::kMessageId ||
      length(publish.target()) > limits::kDeviceId)
    return {Reason::LimitExceeded, "publish field above its limit"};
  return {};
}

IncomingMessage read_publish(const wire::Publish& publish, std::uint64_t seq) {
  return {seq,
          publish.qos(),
          publish.ttl_ms(),
          view(publish.topic()),
          view(publish.content_type()),
          view(publish.conflation_key()),
          view(publish.message_id()),
          view(publish.payload()),
          view(publish.target())};
}

}  // namespace kite::protocol
