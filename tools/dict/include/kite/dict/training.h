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

#include "kite/protocol/compression.h"

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

// Trains with zstd's fastCover, searching its parameters. Refuses (error set) fewer than 10
// samples, or fewer bytes than max_bytes: zstd needs some hundreds of samples, and several times
// max_bytes in total, for a dictionary worth having.
Trained train(std::span<const std::string> samples, const TrainingOptions& options);

// Bytes on the wire for `samples` as kited's Compressor sends them under `settings` (level and
// thresholds), without and with `dictionary`. A sample that is below the threshold, or that does
// not shrink, counts at its own size: it goes as it is.
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
             const protocol::CompressionSettings& settings);

// Samples split for training and for measuring on what was not trained on. Repeated samples are
// kept once (a fleet resends, and fan-out copies one message to many): held-out samples that
// also sit in the training set would flatter the dictionary. Then every tenth goes to
// `held_out`, when there are at least 100; else both get everything, and it is said so.
struct Split {
  std::vector<std::string> training, held_out;
  std::size_t duplicates = 0;  // samples dropped as repeats
  bool measured_apart = false;
};
Split split_samples(std::vector<std::string> samples);

}  // namespace kite::dict
