// Structured logging for kited: one line per event, as text or JSON, to stderr.
//
//   KITE_LOG(info, "connection.closed", {{"device", id}, {"reason", "KeepaliveTimeout"}});
//
// Fields are key/value pairs; values are escaped (a device id cannot inject a log line).
// Payloads and secrets are never passed here by design: call sites log ids, sizes and reasons.
// Thread-safe: each line is formatted in the calling thread and handed to a writer thread
// (log_sink.h), so a slow stderr never stalls the caller.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

namespace kite::server::log {

enum class Level : std::uint8_t { debug, info, warn, error };
enum class Format : std::uint8_t { text, json };

struct Field {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, std::uint64_t, double, bool> value;

  Field(std::string_view k, std::string_view v) : key(k), value(v) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  template <typename Int>
  requires std::is_integral_v<Int> Field(std::string_view k, Int v) {
    key = k;
    if constexpr (std::is_signed_v<Int>)
      value = static_cast<std::int64_t>(v);
    else
      value = static_cast<std::uint64_t>(v);
  }
};

void configure(Level min_level, Format format);
bool enabled(Level level);
Level parse_level(std::string_view name, bool* ok = nullptr);
std::string_view level_name(Level level);

// Formats one line (without writing it); exposed for tests.
std::string format_line(Level level, std::string_view event, std::initializer_list<Field> fields,
                        Format format, std::string_view timestamp);

void write(Level level, std::string_view event, std::initializer_list<Field> fields);
// Waits until every line written so far has reached stderr.
void flush();

}  // namespace kite::server::log

#define KITE_LOG(level, event, ...)                                                      \
  do {                                                                                   \
    if (::kite::server::log::enabled(::kite::server::log::Level::level))                 \
      ::kite::server::log::write(::kite::server::log::Level::level, event, __VA_ARGS__); \
  } while (0)
