// What [compression] means for sessions: zstd level and thresholds, and the trained dictionary
// read from its file once, at start (sessions share the loaded set; a handshake names the
// dictionary by the id in the file).
#pragma once

#include <string>

#include "config/config.h"
#include "kite/protocol/session_types.h"

namespace kite::server::config {

// Fills session.compression and session.dictionaries. Returns "" or what is wrong with
// compression.dictionary_file, naming it: "/etc/kite/d.zdict: not a zstd dictionary...".
std::string apply_compression(const CompressionConfig& compression,
                              protocol::SessionConfig& session);

}  // namespace kite::server::config
