// The payloads `kite dict train` learns from: those of the Publish frames in captured
// connections, chosen by direction and topic.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "common/frame_reader.h"
#include "kite/capture/transcript.h"

namespace kite::cli {

struct SampleFilter {
  bool uplink = true;            // device to kited
  bool downlink = true;          // kited to device
  std::set<std::string> topics;  // empty: every topic
};

struct Samples {
  std::vector<std::string> payloads;  // in capture order, connection by connection
  std::size_t bytes = 0;
  std::size_t connections = 0;  // that gave at least one payload
  std::size_t undecodable = 0;  // frames that did not decode (first problem kept below)
  std::string first_problem;
};

Samples collect_samples(const std::map<capture::ConnectionKey, capture::Transcript>& transcripts,
                        FrameReader& reader, const SampleFilter& filter);

}  // namespace kite::cli
