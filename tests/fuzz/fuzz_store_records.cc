// libFuzzer target: the store's record decoders (server/store/record_codec), which read what is
// on disk (queue records, the deadline index and the event log's). The first byte picks the
// decoder, the rest is the value (or, for membership, the key). Besides "no crash, no UB", a value
// that decodes must encode back to a value that decodes to the same fields: the codec cannot
// silently lose or invent data.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "store/record_codec.h"

using namespace kite::server::store;

namespace {

void check(bool condition) {
  if (!condition) std::abort();
}

bool same(const MessageView& a, const MessageView& b) {
  return a.enqueued_at_ms == b.enqueued_at_ms && a.expires_at_ms == b.expires_at_ms &&
         a.message_id == b.message_id && a.topic == b.topic && a.content_type == b.content_type &&
         a.conflation_key == b.conflation_key && a.payload == b.payload;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 7) {
    case 0: {
      DeviceMeta meta, again;
      if (records::decode(value, meta)) {
        check(records::decode(records::encode(meta), again));
        check(again.last_seq == meta.last_seq && again.acked_through == meta.acked_through &&
              again.gone_through == meta.gone_through &&
              again.queued_messages == meta.queued_messages &&
              again.queued_bytes == meta.queued_bytes &&
              again.uplink_last_received == meta.uplink_last_received);
      }
      break;
    }
    case 1: {
      MessageView message, again;
      if (records::decode(value, message)) {
        const std::string encoded = records::encode(message);
        check(records::decode(encoded, again));
        check(same(message, again));
      }
      break;
    }
    case 2: {
      ConflationEntry entry, again;
      if (records::decode(value, entry)) {
        check(records::decode(records::encode(entry), again));
        check(again.seq == entry.seq && again.bytes == entry.bytes);
      }
      break;
    }
    case 3: {
      IdempotencyEntry entry, again;
      if (records::decode(value, entry)) {
        check(records::decode(records::encode(entry), again));
        check(again.expires_at_ms == entry.expires_at_ms && again.seq == entry.seq &&
              again.message_id == entry.message_id);
      }
      break;
    }
    case 4: {  // an event: the first 8 bytes are its id (the key), the rest its value
      if (value.size() < 8) break;
      std::uint64_t id = 0;
      check(records::read_u64(value, id));
      const std::string key = records::event_key(id);
      kite::server::EventRecord event, again;
      if (records::decode(key, value.substr(8), event)) {
        const std::string encoded = records::encode(event);
        check(records::decode(key, encoded, again));
        check(again.id == id && again.time_ms == event.time_ms && again.type == event.type &&
              again.device == event.device && again.data == event.data);
      }
      break;
    }
    case 5: {  // a deadline index key; its value is empty or the cancel flag
      const std::string_view flag = (data[0] & 0x80) != 0 ? std::string_view("\x01", 1) : "";
      Deadline deadline;
      if (records::decode_deadline(value, flag, deadline)) {
        check(records::deadline_key(deadline) == value);
        check(records::encode_deadline(deadline) == flag);
      }
      break;
    }
    default: {
      std::string_view group, device;
      if (records::split_member_key(value, group, device))
        check(records::keyed(records::Kind::Member, group, device) == value);
      break;
    }
  }
  return 0;
}
