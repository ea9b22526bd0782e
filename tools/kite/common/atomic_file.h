// Writing an output file so that readers see the old one or the whole new one, never a part:
// a temporary file beside it, synced, then renamed over it.
#pragma once

#include <cstdint>
#include <span>
#include <string>

namespace kite::cli {

// "" or what went wrong ("cannot write telemetry.zdict: No space left on device"); the
// temporary file is removed on failure.
std::string write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes);

}  // namespace kite::cli
