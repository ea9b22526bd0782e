// How `kite decode` prints an event: one JSON object per line (--json), or one line of text.
// Both carry the same fields; see docs/cli.md ("kite decode") for the list.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "decode/decode_message.h"
#include "kite/capture/event.h"

namespace kite::cli {

// "2024-05-01T12:00:00.123456789Z"
std::string utc_time_text(std::int64_t time_ns);

// The event as one JSON object: frames described by `describer`. `inputs`: the input names.
nlohmann::ordered_json event_json(const capture::Event& event, FrameDescriber& describer,
                                  const std::vector<std::string>& inputs);

// The same object as one line of text (no newline).
std::string event_text(const nlohmann::ordered_json& event);

}  // namespace kite::cli
