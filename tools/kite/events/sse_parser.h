// Server-Sent Events (the WHATWG "event stream" format) cut out of a stream's bytes as they
// arrive: lines of "field: value", an event ended by a blank line, comments (": keep-alive")
// and "retry:" skipped. kited sends each event's JSON as one data line (docs/api.md).
#pragma once

#include <optional>
#include <string>

namespace kite::cli {

struct SseEvent {
  std::string id;    // empty: the event had no id line (a gap record)
  std::string type;  // the "event:" field; "message" when absent, as EventSource says
  std::string data;  // data lines joined with '\n'
};

class SseParser {
 public:
  // Takes more of the stream's body.
  void feed(std::string_view bytes) { pending_.append(bytes); }
  // The next complete event, or nullopt until more bytes are fed.
  std::optional<SseEvent> next();

 private:
  // Applies one line to the event being built; true when the line ended an event.
  bool take_line(std::string_view line);

  std::string pending_;   // bytes not yet cut into lines
  std::size_t read_ = 0;  // of pending_, already taken
  SseEvent building_;
  bool has_field_ = false;
};

}  // namespace kite::cli
