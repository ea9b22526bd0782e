// [events]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection events_section() {
  return {
      "events",
      "The device event stream of GET /v1/events: uplink messages, connects, disconnects\n"
      "and delivery receipts, kept in memory (not across restarts) for readers to resume.",
      {
          integer("events", "retention_events", kEvents, &EventsConfig::retention_events, 0,
                  100000000,
                  "Device events kept in memory for GET /v1/events readers to resume from.\n"
                  "The oldest go first past this, retention_bytes or retention_ms; a reader that\n"
                  "asks for dropped events is told so (a gap event). 0 = no event stream."),
          integer("events", "retention_bytes", kEvents, &EventsConfig::retention_bytes, 1048576,
                  68719476736,
                  "Memory the retained events may hold (payloads of uplink included)."),
          integer("events", "retention_ms", kEvents, &EventsConfig::retention_ms, 1000, 604800000,
                  "Age after which a retained event is dropped. At most 7 days."),
          list("events", "types", kEvents, &EventsConfig::types,
               "Event types recorded: \"uplink\", \"connect\", \"disconnect\", \"receipt\".\n"
               "Receipts cost one event per delivered message; leave them out at very high rates\n"
               "if no backend reads them. In the environment: comma-separated."),
      }};
}

}  // namespace kite::server::config::fields
