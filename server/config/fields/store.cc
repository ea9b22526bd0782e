// [store]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection store_section() {
  using St = StoreConfig;
  return {
      "store",
      "Durable per-device queues for offline and slow devices.",
      {
          choice(
              "store", "engine", kStore, &St::engine,
              {{"rocksdb", StoreEngine::rocksdb},
               {"memory", StoreEngine::memory},
               {"redis", StoreEngine::redis}},
              "Store engine: \"rocksdb\", \"redis\" or \"memory\".\n"
              "rocksdb is durable, in server.data_dir; redis keeps the queues in the Redis of\n"
              "[redis], as durable as its persistence (docs/cluster.md); memory loses everything\n"
              "on exit (tests)."),
          choice(
              "store", "durability", kStore, &St::durability,
              {{"async", Durability::async}, {"sync", Durability::sync}},
              "When a send is confirmed: \"async\" or \"sync\".\n"
              "sync: after the write is fsync'ed, so it survives a power loss.\n"
              "async: after the write reaches the OS, so it survives a crash or kill -9 of kited\n"
              "but not a power loss. Ignored by the memory engine."),
          integer("store", "write_behind_ms", kStore, &St::write_behind_ms, 0, 1000,
                  "rocksdb under async: writes wait in memory up to this long and go to disk\n"
                  "together. A message its device acknowledges meanwhile is never written. A\n"
                  "service's ack (not its credit) waits for the write or for the devices' acks,\n"
                  "whichever comes first, so it still means durably queued or delivered; an HTTP\n"
                  "send writes at once. 0 = every write at once\n"
                  "(docs/server.md, \"Write-behind\")."),
          integer("store", "per_device_messages", kStore, &St::per_device_messages, 1, 100000000,
                  "Messages queued for one device."),
          integer("store", "per_device_bytes", kStore, &St::per_device_bytes, 8192, 1099511627776,
                  "Payload bytes queued for one device.\n"
                  "At least session.max_frame."),
          integer("store", "global_messages", kStore, &St::global_messages, 1, 1000000000000,
                  "Messages queued for all devices.\n"
                  "At least per_device_messages."),
          integer("store", "global_bytes", kStore, &St::global_bytes, 8192, 1125899906842624,
                  "Payload bytes queued for all devices.\n"
                  "At least per_device_bytes."),
          choice(
              "store", "full_policy", kStore, &St::full_policy,
              {{"reject", FullPolicy::reject}, {"drop-oldest", FullPolicy::drop_oldest}},
              "What a send to a full queue does: \"reject\" or \"drop-oldest\".\n"
              "reject: the new message is refused and the sender gets an error. drop-oldest: the\n"
              "oldest queued message is dropped. Either way it is counted in the metrics."),
          integer("store", "default_ttl_ms", kStore, &St::default_ttl_ms, 0, 31536000000,
                  "Expiry of messages sent without a TTL; 0 = never.\n"
                  "At most 1 year."),
          integer("store", "idempotency_window_ms", kStore, &St::idempotency_window_ms, 0,
                  2592000000,
                  "How long a sender's message id is remembered.\n"
                  "A send retried with the same id within it is not queued twice. 0 = no\n"
                  "deduplication. At most 30 days."),
          integer("store", "idempotency_records", kStore, &St::idempotency_records, 1,
                  1000000000000,
                  "Idempotency records kept at once, all devices (each lives for the window).\n"
                  "A send with a new idempotency key beyond it is refused (503, retry later);\n"
                  "sends without a key are not affected. Bounds their disk use (docs/limits.md)."),
          integer("store", "sweep_interval_ms", kStore, &St::sweep_interval_ms, 100, 3600000,
                  "How often expired messages are removed and fallback deadlines checked, for\n"
                  "every device, online or not. A message's expiry or fallback_after_ms is\n"
                  "acted on at most this late. Runs on its own thread, never on a loop."),
          integer("store", "sweep_slice", kStore, &St::sweep_slice, 1, 100000,
                  "Deadlines handled per store write while sweeping. Each slice briefly locks\n"
                  "the queues of the devices it names; smaller slices lock for less time."),
          integer("store", "status_window_ms", kStore, &St::status_window_ms, 0, 2592000000,
                  "How long GET /v1/messages/{id} answers for a message after it ended.\n"
                  "Ended: acked, expired, dropped or replaced. 0 = message status is off (the\n"
                  "route answers 404). Kept in memory: a restart forgets it. At most 30 days."),
          integer("store", "status_max_entries", kStore, &St::status_max_entries, 1, 1000000000,
                  "Message statuses kept at once, all devices (about 200 bytes each).\n"
                  "Beyond it the oldest ended ones are forgotten first; when none has ended, new\n"
                  "messages are not tracked (kite_message_status_untracked_total)."),
      }};
}

}  // namespace kite::server::config::fields
