// The RocksDB record layout; see record_codec.h for the table of keys and values.
#include "store/record_codec.h"

namespace kite::server::store::records {
namespace {

void put_u64(char* at, std::uint64_t value) {  // big-endian, so that keys sort by number
  for (int i = 7; i >= 0; --i, value >>= 8) at[i] = static_cast<char>(value & 0xff);
}

void append_u16(std::string& out, std::size_t value) {
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

void append_field(std::string& out, std::string_view field) {  // callers keep fields <= 65535
  append_u16(out, field.size());
  out.append(field);
}

// Takes fields off the front of a value; any shortfall turns `ok` false for good.
struct Reader {
  std::string_view rest;
  bool ok = true;

  std::string_view take(std::size_t n) {
    if (!ok || rest.size() < n) {
      ok = false;
      return {};
    }
    auto bytes = rest.substr(0, n);
    rest.remove_prefix(n);
    return bytes;
  }
  std::uint64_t u64() {
    std::uint64_t value = 0;
    if (!read_u64(take(8), value)) ok = false;
    return value;
  }
  std::size_t length(std::size_t width) {
    std::size_t n = 0;
    for (char c : take(width)) n = (n << 8) | static_cast<unsigned char>(c);
    return n;
  }
  std::string_view field() { return take(length(2)); }
};

}  // namespace

void device_prefix_into(std::string& key, Kind kind, std::string_view device) {
  key.assign(1, static_cast<char>(kind));
  append_field(key, device);
}

std::string device_prefix(Kind kind, std::string_view device) {
  std::string key;
  device_prefix_into(key, kind, device);
  return key;
}

std::string keyed(Kind kind, std::string_view device, std::string_view key) {
  return device_prefix(kind, device).append(key);
}

void message_key_into(std::string& key, std::string_view device, std::uint64_t seq) {
  device_prefix_into(key, Kind::Message, device);
  append_u64(key, seq);
}

std::string message_key(std::string_view device, std::uint64_t seq) {
  std::string key;
  message_key_into(key, device, seq);
  return key;
}

bool split_member_key(std::string_view key, std::string_view& group, std::string_view& device) {
  if (key.size() < 3 || key[0] != static_cast<char>(Kind::Member)) return false;
  const std::size_t length = (static_cast<std::size_t>(static_cast<unsigned char>(key[1])) << 8) |
                             static_cast<unsigned char>(key[2]);
  if (key.size() < 3 + length) return false;
  group = key.substr(3, length);
  device = key.substr(3 + length);
  return !group.empty() && !device.empty();
}

std::string deadline_key_prefix(std::uint64_t at_ms) {
  std::string key(1, static_cast<char>(Kind::Deadline));
  append_u64(key, at_ms);
  return key;
}

std::string deadline_key(const Deadline& deadline) {
  std::string key = deadline_key_prefix(deadline.at_ms);
  key.push_back(static_cast<char>(deadline.kind));
  append_u64(key, deadline.seq);
  key.append(deadline.device);
  return key;
}

std::string encode_deadline(const Deadline& deadline) {
  return deadline.cancel ? std::string(1, '\x01') : std::string();
}

bool decode_deadline(std::string_view key, std::string_view value, Deadline& deadline) {
  if (key.size() < 19 || key[0] != static_cast<char>(Kind::Deadline)) return false;
  const auto kind = static_cast<std::uint8_t>(key[9]);
  if (kind > 1) return false;
  read_u64(key.substr(1), deadline.at_ms);
  deadline.kind = static_cast<Deadline::Kind>(kind);
  read_u64(key.substr(10), deadline.seq);
  deadline.device = key.substr(18);
  deadline.cancel = value == std::string_view("\x01", 1);
  return !deadline.device.empty();
}

void event_key_into(std::string& key, std::uint64_t id) {
  key.assign(1, static_cast<char>(Kind::Event));
  append_u64(key, id);
}

std::string event_key(std::uint64_t id) {
  std::string key;
  event_key_into(key, id);
  return key;
}

std::string epoch_key() {
  return std::string(1, static_cast<char>(Kind::Epoch));
}

void append_u64(std::string& out, std::uint64_t value) {
  char bytes[8];
  put_u64(bytes, value);
  out.append(bytes, sizeof bytes);
}

bool read_u64(std::string_view bytes, std::uint64_t& value) {
  if (bytes.size() < 8) return false;
  value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return true;
}

void encode_into(std::string& out, const DeviceMeta& meta) {
  const std::uint64_t fields[] = {
      meta.last_seq,     meta.acked_through,        meta.gone_through, meta.queued_messages,
      meta.queued_bytes, meta.uplink_last_received, meta.reserved_seq};
  // reserved_seq only with write-behind: a record from before it has six fields.
  const std::size_t count = meta.reserved_seq != 0 ? 7 : 6;
  out.resize(count * 8);
  for (std::size_t i = 0; i < count; ++i) put_u64(out.data() + i * 8, fields[i]);
}

std::string encode(const DeviceMeta& meta) {
  std::string out;
  encode_into(out, meta);
  return out;
}

void encode_into(std::string& out, const MessageView& m) {
  out.clear();
  out.reserve(16 + 1 + m.message_id.size() + 6 + m.bytes());
  append_u64(out, m.enqueued_at_ms);
  append_u64(out, m.expires_at_ms);
  out.push_back(static_cast<char>(m.message_id.size()));  // ids are 26 characters
  out.append(m.message_id);
  append_field(out, m.topic);
  append_field(out, m.content_type);
  append_field(out, m.conflation_key);
  out.append(m.payload);
}

std::string encode(const MessageView& m) {
  std::string out;
  encode_into(out, m);
  return out;
}

std::string encode(const ConflationEntry& entry) {
  std::string out;
  append_u64(out, entry.seq);
  append_u64(out, entry.bytes);
  return out;
}

std::string encode(const IdempotencyEntry& entry) {
  std::string out;
  append_u64(out, entry.expires_at_ms);
  append_u64(out, entry.seq);
  out.append(entry.message_id);
  return out;
}

void encode_into(std::string& out, const EventRecord& event) {
  out.clear();
  out.reserve(8 + 1 + 2 + event.device.size() + event.data.size());
  append_u64(out, static_cast<std::uint64_t>(event.time_ms));
  out.push_back(static_cast<char>(event.type));
  append_field(out, event.device);
  out.append(event.data);
}

std::string encode(const EventRecord& event) {
  std::string out;
  encode_into(out, event);
  return out;
}

bool decode(std::string_view value, DeviceMeta& meta) {
  Reader r{value};
  for (std::uint64_t* v : {&meta.last_seq, &meta.acked_through, &meta.gone_through,
                           &meta.queued_messages, &meta.queued_bytes, &meta.uplink_last_received}) {
    *v = r.u64();
  }
  meta.reserved_seq = r.rest.size() >= 8 ? r.u64() : 0;  // a record from before write-behind: none
  return r.ok;
}

bool decode(std::string_view value, MessageView& m) {
  Reader r{value};
  m.enqueued_at_ms = r.u64();
  m.expires_at_ms = r.u64();
  m.message_id = r.take(r.length(1));
  m.topic = r.field();
  m.content_type = r.field();
  m.conflation_key = r.field();
  m.payload = r.rest;
  return r.ok;
}

bool decode(std::string_view value, ConflationEntry& entry) {
  Reader r{value};
  entry.seq = r.u64();
  entry.bytes = r.u64();
  return r.ok;
}

bool decode(std::string_view value, IdempotencyEntry& entry) {
  Reader r{value};
  entry.expires_at_ms = r.u64();
  entry.seq = r.u64();
  entry.message_id = std::string(r.rest);
  return r.ok;
}

bool decode(std::string_view key, std::string_view value, EventRecord& event) {
  if (key.size() != 9 || key[0] != static_cast<char>(Kind::Event) ||
      !read_u64(key.substr(1), event.id))
    return false;
  Reader r{value};
  event.time_ms = static_cast<std::int64_t>(r.u64());
  const std::string_view type = r.take(1);
  event.type = type.empty() ? 0 : static_cast<std::uint8_t>(type[0]);
  event.device = r.field();
  event.data = r.rest;
  return r.ok && !event.device.empty();
}

}  // namespace kite::server::store::records
