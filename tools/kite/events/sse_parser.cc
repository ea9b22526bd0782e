#include "events/sse_parser.h"

namespace kite::cli {

std::optional<SseEvent> SseParser::next() {
  std::optional<SseEvent> found;
  std::size_t newline;
  while (!found && (newline = pending_.find('\n', read_)) != std::string::npos) {
    std::string_view line(pending_.data() + read_, newline - read_);
    if (line.ends_with('\r')) line.remove_suffix(1);
    read_ = newline + 1;
    if (take_line(line)) {
      found = std::move(building_);
      if (found->type.empty()) found->type = "message";
      building_ = {};
      has_field_ = false;
    }
  }
  if (read_ > 0 && (read_ == pending_.size() || read_ > 64 * 1024)) {
    pending_.erase(0, read_);  // dropped in bulk, not per line
    read_ = 0;
  }
  return found;
}

bool SseParser::take_line(std::string_view line) {
  if (line.empty()) return has_field_;      // a blank line dispatches what was built
  if (line.starts_with(':')) return false;  // a comment: kited's keep-alive
  const std::size_t colon = line.find(':');
  const std::string_view field = line.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
  }
  if (field == "id") {
    building_.id = value;
  } else if (field == "event") {
    building_.type = value;
  } else if (field == "data") {
    if (!building_.data.empty()) building_.data.push_back('\n');
    building_.data.append(value);
  } else {
    return false;  // "retry" (reconnects are kite's own business) and unknown fields
  }
  has_field_ = true;
  return false;
}

}  // namespace kite::cli
