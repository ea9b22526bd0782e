// [events]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection events_section() {
  return {
      "events",
      "The device event stream of GET /v1/events: uplink messages, connects, disconnects,\n"
      "delivery receipts and messages that did not get through, kept for readers to resume;\n"
      "in the store (across restarts and kill -9) unless durable = false.",
      {
          integer("events", "retention_events", kEvents, &EventsConfig::retention_events, 0,
                  100000000,
                  "Device events kept for GET /v1/events readers to resume from.\n"
                  "The oldest go first past this, retention_bytes or retention_ms; a reader that\n"
                  "asks for dropped events is told so (a gap event). 0 = no event stream."),
          integer("events", "retention_bytes", kEvents, &EventsConfig::retention_bytes, 1048576,
                  68719476736,
                  "Bytes the retained events may hold (payloads of uplink included), in memory\n"
                  "and again in the store when durable."),
          integer("events", "retention_ms", kEvents, &EventsConfig::retention_ms, 1000, 604800000,
                  "Age after which a retained event is dropped. At most 7 days."),
          boolean("events", "durable", kEvents, &EventsConfig::durable,
                  "Write every event to the store (RocksDB) with store.durability before a\n"
                  "reader sees it or a QoS 1 uplink is acknowledged, and reload them at start.\n"
                  "false: memory only, as fast as before, but a crash or restart loses the\n"
                  "events nobody has read (a device is told its uplink is held regardless).\n"
                  "With store.engine = \"memory\" the log is in memory only either way."),
          integer("events", "consumer_visibility_ms", kEvents,
                  &EventsConfig::consumer_visibility_ms, 100, 3600000,
                  "Consumer groups (GET /v1/events?consumer_group=): events a member holds\n"
                  "without acknowledging anything for this long go to another member."),
          integer("events", "consumer_member_ms", kEvents, &EventsConfig::consumer_member_ms, 100,
                  3600000,
                  "A consumer group member with no stream open and no poll for this long is\n"
                  "gone: its partitions go to the other members."),
          list("events", "types", kEvents, &EventsConfig::types,
               "Event types recorded: \"uplink\", \"connect\", \"disconnect\", \"receipt\",\n"
               "\"undelivered\" (a fallback_after_ms passed), \"expired\", \"dropped\".\n"
               "Receipts cost one event per delivered message; leave them out at very high rates\n"
               "if no backend reads them. In the environment: comma-separated."),
      }};
}

}  // namespace kite::server::config::fields
