// zstd dictionaries trained on a fleet's own payloads, and what one gains on payloads it was not
// trained on. Small messages (a sensor reading, a game state delta) barely compress alone: zstd
// has too little context in 150 bytes. A dictionary of what such messages share (field names,
// the usual values) gives it that context, and both sides hold it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace kite::dict {

struct TrainingOptions {
  std::size_t max_bytes = 16u << 10;  // the dictionary's size; devices keep it in memory
  std::uint16_t id = 0;               // written into its header (1..65535): frames name it
  int level = 3;                      // the zstd level it is tuned for (kited's compression.level)
};

struct Trained {
  std::vector<std::uint8_t> bytes;  // a zstd-format dictionary; empty on error
  std::string error;                // what went wrong and what to do
};

// Trains with zstd's fastCover, searching its parameters. Needs some hundreds of samples (and
// several times max_bytes in total) for a dictionary worth having.
Trained train(std::span<const std::string> samples, const TrainingOptions& options);

// Bytes on the wire for `samples`, compressed alone and with a dictionary at one level. A body
// counts at its own size when compressing does not make it smaller: kited sends it as it is then.
struct Gain {
  std::size_t bodies = 0;
  std::size_t bytes = 0;            // uncompressed
  std::size_t without = 0;          // compressed without a dictionary
  std::size_t with_dictionary = 0;  // compressed with it
  double ratio_without() const { return without ? double(bytes) / double(without) : 0; }
  double ratio_with() const {
    return with_dictionary ? double(bytes) / double(with_dictionary) : 0;
  }
};

Gain measure(std::span<const std::string> samples, std::span<const std::uint8_t> dictionary,
             int level);

// Samples split for training and for measuring on what was not trained on: every tenth goes to
// `held_out` (when there are at least 100; else both get everything, and it is said so).
struct Split {
  std::vector<std::string> training, held_out;
  bool measured_apart = false;
};
Split split_samples(std::vector<std::string> samples);

}  // namespace kite::dict
