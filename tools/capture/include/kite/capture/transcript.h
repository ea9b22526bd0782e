// Everything one connection did, gathered from the events: its frames in each direction, in
// order, with their times; how it opened and closed; what could not be read. For `kite replay`
// (play a device's uplink against a server, compare the downlink) and for tests.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kite/capture/capture_reader.h"
#include "kite/capture/event.h"

namespace kite::capture {

struct TimedFrame {
  std::int64_t time_ns = 0;
  std::vector<std::uint8_t> bytes;  // the whole frame, as in Event::frame
};

struct Transcript {
  ConnectionKey key;
  std::string peer;
  bool tls = false;
  bool opened = false;  // its start was captured
  bool closed = false;
  std::string close_reason;
  std::int64_t first_ns = 0, last_ns = 0;  // its first and last event
  std::vector<TimedFrame> uplink;          // to the server, in stream order
  std::vector<TimedFrame> downlink;        // from the server, in stream order
  std::vector<std::string> warnings;
  std::vector<std::string> errors;  // each direction stops at its error (if any)
};

// Builds transcripts from events fed in the order CaptureReader gives them.
class TranscriptBuilder {
 public:
  // Events without a connection are ignored.
  void add(const Event& event);
  // The transcripts so far, ordered by connection key.
  const std::map<ConnectionKey, Transcript>& transcripts() const { return transcripts_; }
  std::map<ConnectionKey, Transcript> take() { return std::move(transcripts_); }

 private:
  std::map<ConnectionKey, Transcript> transcripts_;
};

// Reads every event of `reader` into transcripts.
std::map<ConnectionKey, Transcript> read_transcripts(CaptureReader& reader);

}  // namespace kite::capture
