#include "kite/capture/transcript.h"

namespace kite::capture {

void TranscriptBuilder::add(const Event& event) {
  if (!event.connection) return;
  auto [it, is_new] = transcripts_.try_emplace(*event.connection);
  Transcript& t = it->second;
  if (is_new) {
    t.key = *event.connection;
    t.first_ns = event.time_ns;
  }
  t.last_ns = event.time_ns;
  if (!event.peer.empty()) t.peer = event.peer;
  t.tls = t.tls || event.tls;
  switch (event.kind) {
    case EventKind::Frame:
      (event.direction == Direction::ToServer ? t.uplink : t.downlink)
          .push_back({event.time_ns, event.frame});
      break;
    case EventKind::Opened:
      t.opened = true;
      break;
    case EventKind::Closed:
      t.closed = true;
      t.close_reason = event.text;
      break;
    case EventKind::Problem:
      (event.severity == Severity::Error ? t.errors : t.warnings).push_back(event.text);
      break;
  }
}

std::map<ConnectionKey, Transcript> read_transcripts(CaptureReader& reader) {
  TranscriptBuilder builder;
  for (Event event; reader.next(event);) builder.add(event);
  return builder.take();
}

}  // namespace kite::capture
