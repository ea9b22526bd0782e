// [log]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection log_section() {
  return {"log",
          "Structured logs on stderr. Secrets and payloads are never logged.",
          {
              choice("log", "level", kLog, &LogConfig::level,
                     {{"debug", log::Level::debug},
                      {"info", log::Level::info},
                      {"warn", log::Level::warn},
                      {"error", log::Level::error}},
                     "Least severe level written: \"debug\", \"info\", \"warn\" or \"error\"."),
              choice("log", "format", kLog, &LogConfig::format,
                     {{"text", log::Format::text}, {"json", log::Format::json}},
                     "Log format: \"text\" (key=value) or \"json\", on stderr.\n"
                     "One line per event either way."),
          }};
}

}  // namespace kite::server::config::fields
