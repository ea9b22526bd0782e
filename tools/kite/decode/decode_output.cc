#include "decode/decode_output.h"

#include <cinttypes>
#include <cstdio>
#include <ctime>

namespace kite::cli {
namespace {

using Json = nlohmann::ordered_json;
using capture::Event;
using capture::EventKind;

const char* event_name(const Event& e) {
  switch (e.kind) {
    case EventKind::Frame:
      return "frame";
    case EventKind::Opened:
      return "opened";
    case EventKind::Closed:
      return "closed";
    case EventKind::Problem:
      return e.severity == capture::Severity::Error ? "error" : "warning";
  }
  return "?";
}

std::string dump(const Json& value) {
  // Strings from the capture need not be UTF-8: show U+FFFD rather than failing the line.
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A byte field (decode_message.h) as text: "quoted text" or 0x-hex, "...(N bytes)" when cut.
std::string bytes_text(const Json& field) {
  std::string text =
      field.contains("text") ? dump(field["text"]) : "0x" + field["hex"].get<std::string>();
  if (field.value("truncated", false))
    text += "...(" + std::to_string(field["size"].get<std::size_t>()) + " bytes)";
  return text;
}

std::string value_text(const Json& value) {
  if (value.is_object() && (value.contains("text") || value.contains("hex")))
    return bytes_text(value);
  return dump(value);
}

void append_fields(std::string& line, const Json& fields) {
  for (const auto& [name, value] : fields.items()) line += " " + name + "=" + value_text(value);
}

std::string header_text(const Json& header) {
  char text[96];
  std::snprintf(text, sizeof text, "len=%u flags=0x%04x dict=%u%s",
                header["length"].get<unsigned>(), header["flags"].get<unsigned>(),
                header["dictionary"].get<unsigned>(),
                header["compressed"].get<bool>() ? " zstd" : "");
  return text;
}

}  // namespace

std::string utc_time_text(std::int64_t time_ns) {
  const std::time_t seconds = static_cast<std::time_t>(time_ns / 1'000'000'000);
  const auto nanos = static_cast<long>(time_ns % 1'000'000'000);
  std::tm utc{};
  ::gmtime_r(&seconds, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  char text[48];
  std::snprintf(text, sizeof text, "%s.%09ldZ", date, nanos);
  return text;
}

Json event_json(const Event& e, FrameDescriber& describer, const std::vector<std::string>& inputs) {
  Json o;
  o["time"] = utc_time_text(e.time_ns);
  o["time_ns"] = e.time_ns;
  if (e.input < inputs.size()) o["file"] = inputs[e.input];
  if (e.connection) {
    o["connection"] = e.connection->text();
    o["connection_id"] = e.connection->id;
    if (e.connection->from_tcp()) o["server"] = e.connection->server.text();
  }
  if (!e.peer.empty()) o["peer"] = e.peer;
  o["tls"] = e.tls;
  o["direction"] = e.direction == capture::Direction::ToServer ? "up" : "down";
  o["event"] = event_name(e);
  if (e.stream_offset) o["stream_offset"] = *e.stream_offset;
  switch (e.kind) {
    case EventKind::Frame: {
      o["size"] = e.frame.size();
      Json described = describer.describe(e.frame);
      for (auto& [name, value] : described.items()) o[name] = std::move(value);
      break;
    }
    case EventKind::Opened:
      break;
    case EventKind::Closed:
      o["reason"] = e.text;
      break;
    case EventKind::Problem:
      o[event_name(e)] = e.text;
      break;
  }
  return o;
}

std::string event_text(const Json& o) {
  const std::string event = o["event"];
  char start[160];
  std::snprintf(start, sizeof start, "%s %-8s %-4s %-7s", o["time"].get<std::string>().c_str(),
                o.value("connection", "-").c_str(), o["direction"].get<std::string>().c_str(),
                event.c_str());
  std::string line = start;
  if (o.contains("stream_offset"))
    line += " offset=" + std::to_string(o["stream_offset"].get<std::uint64_t>());
  if (event == "frame") {
    if (o.contains("header")) line += " " + header_text(o["header"]);
    if (o.contains("type"))  // a name, or the number of a type this kite does not know
      line +=
          " " + (o["type"].is_string() ? o["type"].get<std::string>() : "type=" + dump(o["type"]));
    if (o.contains("message")) append_fields(line, o["message"]);
  } else if (event == "opened") {
    line += " peer=" + o.value("peer", "?");
    if (o.contains("server")) line += " server=" + o["server"].get<std::string>();
    line += o["tls"].get<bool>() ? " tls" : "";
  } else if (event == "closed") {
    if (!o["reason"].get<std::string>().empty()) line += " reason=" + dump(o["reason"]);
  } else {
    line += " " + o[event].get<std::string>();
    if (o.contains("peer")) line += " (peer " + o["peer"].get<std::string>() + ")";
  }
  if (event == "frame" && o.contains("error")) line += " error: " + o["error"].get<std::string>();
  return line;
}

}  // namespace kite::cli
