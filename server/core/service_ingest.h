// What a service connection sends in one read, stored with one write.
//
// A backend's publishes are gathered while a read is parsed; when the read ends, commit() stores
// every QoS 1 message with one MessageStore::enqueue_batch (one WAL write, one fsync under Sync),
// then answers the service in arrival order: an error frame for a refused message, and the
// cumulative ack, which therefore still means "durably queued" for every message it covers. QoS 0
// publishes and refusals made while parsing are acknowledged in the same order, never ahead of a
// stored message they follow. Storing and carrying to the devices' workers is the dispatcher's
// (core/delivery/dispatcher.h): one task per worker per read, none for the caller's own.
//
// Under write-behind (store.write_behind_ms) the store answers before the messages are written,
// and they are carried to their devices at once; the read's ack is then held (held_acks.h) until
// the store has written them, so the ack keeps its meaning.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/delivery/dispatcher.h"
#include "core/held_acks.h"
#include "core/string_arena.h"
#include "kite/protocol/session.h"
#include "store/message_store.h"

namespace kite::server {

class ServiceIngest {
 public:
  // `default_ttl_ms`: the TTL of a message that names none (0: never expires).
  ServiceIngest(Dispatcher& delivery, MessageStore& store, std::uint64_t default_ttl_ms)
      : delivery_(delivery), store_(store), default_ttl_ms_(default_ttl_ms) {}

  // A QoS 1 publish to be stored (copied: the read buffer it points into is reused).
  void add_stored(const protocol::IncomingMessage& message);
  // A publish answered already (QoS 0, or refused): acknowledged in its turn.
  void add_answered(std::uint64_t seq);
  bool empty() const { return entries_.empty(); }
  // Stores what was gathered and answers it through `session`; the ack waits in `held` until
  // the store has written the read (at once when it writes as it goes).
  void commit(protocol::Session& session, HeldAcks& held, std::int64_t now);

 private:
  struct Entry {
    std::uint64_t seq = 0;
    bool stored = false;
    std::uint64_t ttl_ms = 0;
    StringArena::Slice fields[6];  // target, payload, topic, type, conflation key, message id
  };
  std::string_view field(const Entry& entry, int i) const { return arena_.get(entry.fields[i]); }
  void answer(protocol::Session& session, const Entry& entry, const Outcome& outcome,
              std::int64_t now);

  Dispatcher& delivery_;
  MessageStore& store_;
  const std::uint64_t default_ttl_ms_;
  std::vector<Entry> entries_;
  StringArena arena_;
  std::vector<NewMessage> messages_;
  std::vector<std::string_view> devices_;
  std::vector<Parcel> parcels_;
  std::vector<Outcome> outcomes_;
};

}  // namespace kite::server
