#include "common/log.h"

#include "common/log_sink.h"

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>

namespace kite::server::log {
namespace {

std::atomic<Level> g_level{Level::info};
std::atomic<Format> g_format{Format::text};

// Escapes for both formats: quotes, backslashes and control characters never reach the line raw.
void append_escaped(std::string& out, std::string_view s) {
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (b < 0x20 || b == 0x7f) {
      out += fmt::format("\\u{:04x}", b);
    } else {
      out.push_back(c);
    }
  }
}

bool needs_quotes(std::string_view s) {
  if (s.empty()) return true;
  for (char c : s) {
    auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7f || c == '"' || c == '=' || c == '\\') return true;
  }
  return false;
}

void append_value(std::string& out, const Field& field, Format format) {
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::string_view>) {
          bool quote = format == Format::json || needs_quotes(v);
          if (quote) out.push_back('"');
          append_escaped(out, v);
          if (quote) out.push_back('"');
        } else if constexpr (std::is_same_v<T, bool>) {
          out += v ? "true" : "false";
        } else {
          out += fmt::format("{}", v);
        }
      },
      field.value);
}

std::string now_timestamp() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

}  // namespace

void configure(Level min_level, Format format) {
  g_level = min_level;
  g_format = format;
}

bool enabled(Level level) {
  return level >= g_level.load(std::memory_order_relaxed);
}

Level parse_level(std::string_view name, bool* ok) {
  if (ok) *ok = true;
  if (name == "debug") return Level::debug;
  if (name == "info") return Level::info;
  if (name == "warn" || name == "warning") return Level::warn;
  if (name == "error") return Level::error;
  if (ok) *ok = false;
  return Level::info;
}

std::string_view level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

std::string format_line(Level level, std::string_view event, std::initializer_list<Field> fields,
                        Format format, std::string_view timestamp) {
  std::string out;
  out.reserve(128);
  if (format == Format::json) {
    out += "{\"ts\":\"";
    out += timestamp;
    out += "\",\"level\":\"";
    out += level_name(level);
    out += "\",\"event\":\"";
    append_escaped(out, event);
    out.push_back('"');
    for (const auto& field : fields) {
      out += ",\"";
      append_escaped(out, field.key);
      out += "\":";
      append_value(out, field, format);
    }
    out += "}\n";
  } else {
    out += timestamp;
    out.push_back(' ');
    out += level_name(level);
    out.push_back(' ');
    append_escaped(out, event);
    for (const auto& field : fields) {
      out.push_back(' ');
      append_escaped(out, field.key);
      out.push_back('=');
      append_value(out, field, format);
    }
    out.push_back('\n');
  }
  return out;
}

void write(Level level, std::string_view event, std::initializer_list<Field> fields) {
  Sink::instance().write(format_line(level, event, fields, g_format.load(), now_timestamp()));
}

void flush() {
  Sink::instance().flush();
}

}  // namespace kite::server::log
