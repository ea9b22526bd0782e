#include "events/event_printer.h"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace kite::cli {
namespace {

std::string text_of(const nlohmann::json& record, const char* name) {
  auto it = record.find(name);
  if (it == record.end()) return "?";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

void say_events(const std::string& line) {
  std::fprintf(stderr, "kite events: %s\n", line.c_str());
}

std::string position_text(std::uint64_t id) {
  return id == 0 ? "from the oldest event kited holds" : "after event " + std::to_string(id);
}

bool EventPrinter::write_line(std::string_view json) {
  if (write_failed_) return false;
  if (std::fwrite(json.data(), 1, json.size(), stdout) != json.size() ||
      std::fputc('\n', stdout) == EOF || std::fflush(stdout) != 0) {
    write_failed_ = true;
    say_events(std::string("cannot write to stdout: ") + std::strerror(errno));
    return false;
  }
  return true;
}

bool EventPrinter::event(std::string_view json, std::optional<std::uint64_t> id) {
  if (!write_line(json)) return false;
  ++printed_;
  if (id) position_ = last_event_id_ = id;  // ids only grow, but after a gap from the oldest
  return true;
}

bool EventPrinter::gap(std::string_view json) {
  const auto record = nlohmann::json::parse(json, nullptr, false);
  std::string line = "gap: ";
  if (text_of(record, "missed_first") == "0")
    line += "the id to resume after is not one this kited gave; everything it still holds follows";
  else
    line += "events " + text_of(record, "missed_first") + " to " + text_of(record, "missed_last") +
            " were dropped by kited (events.retention_*) before they could be read: they are lost";
  say_events(line);
  return write_line(json);
}

void EventPrinter::advance_to(std::uint64_t id) {
  position_ = id;  // kited's cursor: past the events it scanned, printed or filtered out
}

std::string EventPrinter::tally() const {
  std::string text = std::to_string(printed_);
  if (count_ > 0) text += " of " + std::to_string(count_);
  return text + " event(s)";
}

}  // namespace kite::cli
