// The RocksDB record layout of the store: which keys exist and how their values are encoded.
//
// One keyspace; a key's first byte says what it holds. Integers are big-endian, so bytewise key
// order is numeric order, and a device's messages are one contiguous range in seq order:
//
//   'E'                                -> epoch u64
//   'S'                                -> (empty): the store was closed cleanly (write-behind)
//   'M' len:u16 device                 -> DeviceMeta: last_seq, acked_through, gone_through,
//                                         queued_messages, queued_bytes, uplink_last_received,
//                                         then reserved_seq when not 0 (u64 each)
//   'Q' len:u16 device seq:u64         -> message: enqueued_at u64, expires_at u64,
//                                         id (u8 length + bytes), topic, content type, conflation
//                                         key (each u16 length + bytes), payload (the rest)
//   'C' len:u16 device conflation-key  -> ConflationEntry: seq u64, bytes u64
//   'I' len:u16 device idempotency-key -> IdempotencyEntry: expires_at u64, seq u64, id (the rest)
//   'G' len:u16 group device           -> (empty): the device is a member of the group
//   'K' len:u16 group                  -> a consumer group's acknowledged cursors (u64 each)
//   'X' at:u64 kind:u8 seq:u64 device -> deadline (queue_backend.h): u8 1 when a fallback cancels
//   'L' id:u64                         -> event: time u64, type u8, device (u16 length + bytes),
//                                         data (the rest: the event's JSON); in the "events"
//                                         column family
//
// The length before the device id keeps device "ab" from being a prefix of device "abc": the
// range of one device never includes another's records. Decoders reject truncated values (false).
#pragma once

#include <string>
#include <string_view>

#include "store/queue_backend.h"

namespace kite::server::store::records {

enum class Kind : char {
  Epoch = 'E',
  ClosedCleanly = 'S',
  Meta = 'M',
  Message = 'Q',
  Conflation = 'C',
  Idempotency = 'I',
  Member = 'G',
  Event = 'L',
  ConsumerGroup = 'K',
  Deadline = 'X'
};

std::string device_prefix(Kind kind, std::string_view device);
// The _into forms reuse `key`'s or `out`'s memory: the hot path's writes allocate nothing.
void device_prefix_into(std::string& key, Kind kind, std::string_view device);
std::string keyed(Kind kind, std::string_view device, std::string_view key);
std::string message_key(std::string_view device, std::uint64_t seq);
void message_key_into(std::string& key, std::string_view device, std::uint64_t seq);
std::string event_key(std::uint64_t id);
void event_key_into(std::string& key, std::uint64_t id);
std::string epoch_key();
std::string deadline_key(const Deadline& deadline);    // the value: encode_deadline()
std::string deadline_key_prefix(std::uint64_t at_ms);  // every key due before at_ms sorts below
std::string encode_deadline(const Deadline& deadline);
bool decode_deadline(std::string_view key, std::string_view value, Deadline& deadline);
// The group and device of a 'G' key; false if the key is not one.
bool split_member_key(std::string_view key, std::string_view& group, std::string_view& device);

void append_u64(std::string& out, std::uint64_t value);
bool read_u64(std::string_view bytes, std::uint64_t& value);  // the first 8 bytes

std::string encode(const DeviceMeta& meta);
void encode_into(std::string& out, const DeviceMeta& meta);
std::string encode(const MessageView& message);  // seq is in the key, not the value
void encode_into(std::string& out, const MessageView& message);
std::string encode(const ConflationEntry& entry);
std::string encode(const IdempotencyEntry& entry);
std::string encode(const EventRecord& event);  // id is in the key
void encode_into(std::string& out, const EventRecord& event);

bool decode(std::string_view value, DeviceMeta& meta);
bool decode(std::string_view value, MessageView& message);  // views point into value
bool decode(std::string_view value, ConflationEntry& entry);
bool decode(std::string_view value, IdempotencyEntry& entry);
bool decode(std::string_view key, std::string_view value, EventRecord& event);  // views into both

}  // namespace kite::server::store::records
