// Generated telemetry that looks like what a device fleet sends: JSON readings with device ids,
// timestamps, temperature, humidity, battery, firmware version and a few optional fields, with
// random but plausible values. Deterministic for a given seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kite::bench {

// `count` single readings of about 100-200 bytes each.
std::vector<std::string> telemetry_readings(std::size_t count, std::uint64_t seed);

// One batch body of about `target_size` bytes: a device header and an array of readings.
std::string telemetry_batch(std::size_t target_size, std::uint64_t seed);

}  // namespace kite::bench
