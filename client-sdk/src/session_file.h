// ClientOptions::session_file on disk: read once at start(), written whole each time (a new file
// beside it, fsync, rename over the old one, fsync of the folder), so that a crash or a power
// cut at any point leaves either the old file or the new one, never a mix.
//
// Flash wear. Batched writes are spaced at least 60,000 / session_writes_per_minute ms apart:
// changes that come sooner (acknowledged downlink, uplink sent or confirmed by kited) wait and go
// out together. The client holds its outgoing bytes while a change waits (client_core.h), so
// kited never learns of a state the file does not hold yet. A publish() is the exception: it is
// written at once (a forced write, outside the budget, which it does not delay), since a message
// the app was told is queued must survive a crash.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "session_codec.h"

namespace kite::sdk {

using Millis = std::int64_t;

class SessionFile {
 public:
  SessionFile(std::string path, std::uint32_t writes_per_minute);

  // Reads the file; false with no error if there is none yet (a first start).
  bool load(SavedSession& out, std::string& error) const;
  // Writes `session` now (its written_at is set here). Empty on success, else why (the old file
  // is left as it was). `batched`: a write of the budget; a failed one counts too, so that a
  // full disk is tried again an interval later, not in a loop.
  std::string write(SavedSession& session, Millis now, bool batched);

  // The earliest time the next batched write may happen without going over the budget.
  Millis next_write_at() const { return last_batched_ + interval_ms_; }
  Millis interval_ms() const { return interval_ms_; }
  std::uint64_t writes() const { return writes_; }
  const std::string& path() const { return path_; }
  const std::string& last_error() const { return last_error_; }

 private:
  std::string write_file(SavedSession& session, Millis now, bool batched);

  std::string path_;
  Millis interval_ms_;
  Millis last_batched_;
  std::uint64_t writes_ = 0;
  std::string last_error_;
};

}  // namespace kite::sdk
