// ClientCore and its session file (ClientOptions::session_file): restored by start(), saved
// when the state a restart needs has changed. The rule that makes it safe: bytes leave for kited
// only when the file holds everything they tell kited (an ack, an uplink seq), so after a crash
// the device resumes from a state kited has never gone past. What the file may lag behind is
// the app: a message the app handled after the last write is delivered again after a crash
// (its Message::seq tells the app it has seen it).
#include <algorithm>
#include <chrono>
#include <limits>

#include "client_core.h"

namespace kite::sdk {

namespace {

std::uint64_t unix_ms_now() {
  using namespace std::chrono;
  return static_cast<std::uint64_t>(
      duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

// What a file of a full queue may need: every byte, and each entry's fixed fields.
constexpr std::size_t kEntryOverhead = 64;

}  // namespace

// The options a session file cannot work with, or "".
std::string ClientCore::session_file_problem() const {
  const std::uint32_t per_minute = std::max<std::uint32_t>(options_.session_writes_per_minute, 1);
  // Held output waits up to one write interval: it must not starve the keep-alive.
  if (60'000 / per_minute > options_.keepalive_ms / 2)
    return "session_writes_per_minute: " + std::to_string(per_minute) +
           " spaces writes more than half of keepalive_ms (" +
           std::to_string(options_.keepalive_ms) + ") apart; raise one of them";
  if (options_.max_queued_bytes + options_.max_queued * kEntryOverhead + 4096 > kMaxSessionFile)
    return "session_file: a queue of max_queued_bytes (" +
           std::to_string(options_.max_queued_bytes) + ") would not fit in a session file (" +
           std::to_string(kMaxSessionFile >> 20) + " MiB at most); lower max_queued_bytes";
  return {};
}

std::string ClientCore::restore_session() {
  if (std::string problem = session_file_problem(); !problem.empty()) return problem;
  session_file_.emplace(options_.session_file,
                        std::max<std::uint32_t>(options_.session_writes_per_minute, 1));
  SavedSession saved;
  std::string error;
  if (!session_file_->load(saved, error)) {
    if (!error.empty())
      return "session_file: " + error +
             "; delete it to start a new session (the messages queued in it are then lost)";
    // None yet: the first start. Written now, so that a path that cannot be written (a folder
    // that is not there, a read-only file system) is said by start(), not by every connection.
    ++session_changes_;
    if (!save_session(/*force=*/true))
      return "session_file: " + session_file_->last_error() +
             " (the folder must exist and be writable)";
    return {};
  }
  if (saved.device_id != options_.device_id)
    return "session_file: " + options_.session_file + " is device \"" + saved.device_id +
           "\"'s, not \"" + options_.device_id + "\"'s";
  resume_token_.assign(saved.resume_token.begin(), saved.resume_token.end());
  store_epoch_ = saved.store_epoch;
  last_received_seq_ = saved.last_received_seq;
  next_uplink_seq_ = saved.next_uplink_seq;
  // The time-to-live counts the time the device was off: the wall clock says how long that was.
  const std::uint64_t now_unix = unix_ms_now();
  const std::uint64_t off_ms =
      now_unix > saved.written_at_unix_ms ? now_unix - saved.written_at_unix_ms : 0;
  for (auto& entry : saved.entries) {
    entry.age_ms = static_cast<std::uint32_t>(
        std::min<std::uint64_t>(entry.age_ms + off_ms, std::numeric_limits<std::uint32_t>::max()));
    queue_.restore(entry, now_);
  }
  saved_changes_ = session_changes_ + queue_.changes();
  return {};
}

bool ClientCore::session_unsaved() const {
  return session_file_ && session_changes_ + queue_.changes() != saved_changes_;
}

bool ClientCore::save_session(bool force) {
  if (!session_unsaved()) return true;
  // Not yet: next_deadline() names the time, and the driver comes back then.
  if (!force && now_ < session_file_->next_write_at()) return false;
  SavedSession saved;
  saved.device_id = options_.device_id;
  saved.store_epoch = store_epoch_;
  saved.resume_token.assign(resume_token_.begin(), resume_token_.end());
  saved.last_received_seq = last_received_seq_;
  saved.next_uplink_seq = next_uplink_seq_;
  queue_.save(saved.entries, now_);
  if (std::string error = session_file_->write(saved, now_, /*batched=*/!force); !error.empty()) {
    // Going on would tell kited what the file does not hold: end the connection instead, with
    // the reason where the app sees it; the next connection tries again.
    if (!ending_ && connection_) ending_ = Ending{"SessionFileFailed", std::move(error)};
    return false;
  }
  saved_changes_ = session_changes_ + queue_.changes();
  return true;
}

// The queue is kept in the file for the next start, not failed with the client: called before
// the client's own state is emptied.
bool ClientCore::save_before_stop() {
  if (!session_file_) return false;
  const bool saved = save_session(/*force=*/true);
  session_file_.reset();
  return saved;
}

}  // namespace kite::sdk
