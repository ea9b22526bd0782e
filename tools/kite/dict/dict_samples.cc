#include "dict/dict_samples.h"

namespace kite::cli {
namespace {

// Adds the payloads of one direction's Publish frames; true if any was taken.
bool take(const std::vector<capture::TimedFrame>& frames, FrameReader& reader,
          const SampleFilter& filter, Samples& out) {
  bool took = false;
  std::string problem;
  for (const auto& captured : frames) {
    const wire::Frame* frame = reader.read(captured.bytes, problem);
    if (!frame) {
      if (out.undecodable++ == 0) out.first_problem = problem;
      continue;
    }
    const auto* publish = frame->message_as_Publish();
    if (!publish || !publish->payload() || publish->payload()->size() == 0) continue;
    if (!filter.topics.empty() &&
        !filter.topics.contains(publish->topic() ? publish->topic()->str() : std::string()))
      continue;
    out.payloads.emplace_back(publish->payload()->begin(), publish->payload()->end());
    out.bytes += publish->payload()->size();
    took = true;
  }
  return took;
}

}  // namespace

Samples collect_samples(const std::map<capture::ConnectionKey, capture::Transcript>& transcripts,
                        FrameReader& reader, const SampleFilter& filter) {
  Samples out;
  for (const auto& [key, transcript] : transcripts) {
    bool took = false;
    if (filter.uplink) took |= take(transcript.uplink, reader, filter, out);
    if (filter.downlink) took |= take(transcript.downlink, reader, filter, out);
    if (took) ++out.connections;
  }
  return out;
}

}  // namespace kite::cli
