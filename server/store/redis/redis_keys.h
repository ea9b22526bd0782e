// The Redis key layout of the store. Every key of one device carries the device id as a hash tag
// ({...}), so under Redis Cluster, or when a device's keys are sharded by that id (redis_shards.h:
// every key built by device_key() lives on its device's shard, the others on the control shard),
// they share one slot and a transaction over them stays on one server. Values use the RocksDB
// record encodings (store/record_codec.h), so both stores read and write the same bytes.
//
//   <p>epoch                   string   the store's epoch (u64)
//   <p>d:{<device>}:meta       string   DeviceMeta
//   <p>d:{<device>}:q          stream   the queue: one entry per message, id "<seq>-0", field "m"
//                                       = the message record (a stream keeps ids rising, and
//                                       XRANGE reads a seq range)
//   <p>d:{<device>}:c          hash     conflation key -> ConflationEntry
//   <p>d:{<device>}:i:<key>    string   IdempotencyEntry, expiring (PXAT) when its window ends
//   <p>d:{<device>}:claim      string   a transaction's token while it claims the device
//                                       (redis_transaction.h), expiring after 100 ms
//   <p>deadlines               zset     every score 0; member = deadline key + a cancel byte
//                                       (0 or 1), so lexical order is time order (ZRANGEBYLEX)
//   <p>groups                  set      names of groups that have (had) members
//   <p>g:<group>               set      the group's device ids
//   <p>consumer-groups         hash     group -> its encoded cursors
//   <p>events                  stream   the event log: id "<event id>-0", field "e"
//
// <p> is the configured prefix (redis.prefix, "kite:" by default): several Kite installations can
// share one Redis.
#pragma once

#include <string>
#include <string_view>

#include "store/queue_backend.h"
#include "store/record_codec.h"

namespace kite::server::store::redis {

class RedisKeys {
 public:
  explicit RedisKeys(std::string prefix) : prefix_(std::move(prefix)) {}

  std::string epoch() const { return prefix_ + "epoch"; }
  std::string resume_key() const { return prefix_ + "resume-key"; }
  std::string meta(std::string_view device) const { return device_key(device, ":meta"); }
  std::string queue(std::string_view device) const { return device_key(device, ":q"); }
  std::string conflation(std::string_view device) const { return device_key(device, ":c"); }
  std::string claim(std::string_view device) const { return device_key(device, ":claim"); }
  std::string idempotency(std::string_view device, std::string_view key) const {
    return device_key(device, ":i:").append(key);
  }
  std::string deadlines() const { return prefix_ + "deadlines"; }
  std::string groups() const { return prefix_ + "groups"; }
  std::string group(std::string_view name) const { return prefix_ + "g:" + std::string(name); }
  std::string consumer_groups() const { return prefix_ + "consumer-groups"; }
  std::string events() const { return prefix_ + "events"; }

  // SCAN patterns. The prefix is escaped; device ids match anything.
  std::string all_metas() const { return escaped_prefix() + "d:{*}:meta"; }
  std::string all_idempotency() const { return escaped_prefix() + "d:{*}:i:*"; }

 private:
  std::string device_key(std::string_view device, std::string_view suffix) const {
    std::string key;
    key.reserve(prefix_.size() + device.size() + 4 + suffix.size());
    key.append(prefix_).append("d:{").append(device).append("}").append(suffix);
    return key;
  }
  std::string escaped_prefix() const {
    std::string out;
    for (char c : prefix_) {
      if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
      out.push_back(c);
    }
    return out;
  }

  std::string prefix_;
};

// A stream entry id for a seq or an event id: "<n>-0".
inline std::string stream_id(std::uint64_t n) {
  return std::to_string(n) + "-0";
}

// A deadline as a member of <p>deadlines, and back.
inline std::string deadline_member(const Deadline& deadline) {
  return records::deadline_key(deadline) + (deadline.cancel ? '\x01' : '\x00');
}
inline bool decode_deadline_member(std::string_view member, Deadline& deadline) {
  if (member.empty()) return false;
  const bool cancel = member.back() == '\x01';
  return records::decode_deadline(member.substr(0, member.size() - 1),
                                  cancel ? std::string_view("\x01", 1) : std::string_view(),
                                  deadline);
}

}  // namespace kite::server::store::redis
