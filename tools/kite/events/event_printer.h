// Where `kite events` puts what it reads: one JSON object per line on stdout (JSON lines),
// flushed per event so that a pipe sees each as it happens, and gap records also said on stderr
// (a reader must learn that events were lost, not only a program reading the lines). It keeps
// the count for -C and the id of the last event printed: where a new stream or poll resumes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kite::cli {

// One line on stderr, "kite events: " first.
void say_events(const std::string& line);

// Where reading resumes, for those lines: "after event 1795...", or "from the oldest event
// kited holds" for 0.
std::string position_text(std::uint64_t id);

class EventPrinter {
 public:
  // `count`: -C (0: no limit); `after`: where reading starts (none: from now on).
  EventPrinter(std::uint64_t count, std::optional<std::uint64_t> after)
      : count_(count), position_(after) {}

  // An event: its JSON as kited gave it and its id (none: the position stays). False when stdout
  // cannot be written (said on stderr once).
  bool event(std::string_view json, std::optional<std::uint64_t> id);
  // A gap record ({"type":"gap","missed_first":...}): printed, and said on stderr.
  bool gap(std::string_view json);
  // A poll's last_id: the place to read on from (past events the filters left out, too).
  void advance_to(std::uint64_t id);

  std::optional<std::uint64_t> position() const { return position_; }
  std::uint64_t printed() const { return printed_; }
  // The id of the last event written and flushed: what --ack may acknowledge (never a poll's
  // last_id, which may pass events this reader was not given).
  std::optional<std::uint64_t> last_event_id() const { return last_event_id_; }
  std::uint64_t count() const { return count_; }
  bool counted_out() const { return count_ > 0 && printed_ >= count_; }
  // "3 event(s)" or "3 of 5 event(s)", for the lines that say why kite stopped.
  std::string tally() const;

 private:
  bool write_line(std::string_view json);

  std::uint64_t count_;
  std::optional<std::uint64_t> position_;
  std::uint64_t printed_ = 0;
  std::optional<std::uint64_t> last_event_id_;
  bool write_failed_ = false;
};

}  // namespace kite::cli
