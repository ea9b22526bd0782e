#include "kite/dict/training.h"

// fastCover's parameters are declared in zstd's "experimental" section; libzstd.so exports them.
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

#include <algorithm>
#include <memory>
#include <string_view>
#include <thread>
#include <unordered_set>

namespace kite::dict {
namespace {

constexpr std::size_t kMinSamples = 10;
constexpr std::size_t kHeldOutEvery = 10;
constexpr std::size_t kMinSamplesToHoldOut = 100;
// fastCover trains on the first three quarters of the samples and scores on the rest; with
// fewer bytes than its d-mer size in that first part, zstd 1.5.4 divides by zero.
constexpr std::size_t kMinBytesInFirstPart = 64;
constexpr unsigned kMaxThreads = 4;

std::size_t bytes_of_first_part(std::span<const std::size_t> sizes) {
  std::size_t bytes = 0;
  for (std::size_t i = 0; i < sizes.size() * 3 / 4; ++i) bytes += sizes[i];
  return bytes;
}

}  // namespace

Trained train(std::span<const std::string> samples, const TrainingOptions& options) {
  Trained out;
  if (options.id == 0) {
    out.error = "the dictionary id must be from 1 to 65535";
    return out;
  }
  std::string concatenated;
  std::vector<std::size_t> sizes;
  for (const auto& sample : samples) {
    if (sample.empty()) continue;
    concatenated += sample;
    sizes.push_back(sample.size());
  }
  const std::string counted = std::to_string(sizes.size()) + " payloads of " +
                              std::to_string(concatenated.size()) + " bytes";
  if (sizes.size() < kMinSamples) {
    out.error = "only " + counted +
                " to train on: record more traffic (hundreds of payloads at least, thousands for "
                "a good dictionary)";
    return out;
  }
  if (concatenated.size() < options.max_bytes ||
      bytes_of_first_part(sizes) < kMinBytesInFirstPart) {
    out.error = "only " + counted + " to train a " + std::to_string(options.max_bytes) +
                "-byte dictionary on: record more traffic, or give a smaller --max-size";
    return out;
  }
  ZDICT_fastCover_params_t params{};  // k = d = 0: search them; steps, split: zstd's defaults
  params.zParams.dictID = options.id;
  params.zParams.compressionLevel = options.level;
  params.nbThreads = std::clamp(std::thread::hardware_concurrency(), 1u, kMaxThreads);
  out.bytes.resize(options.max_bytes);
  const std::size_t size = ZDICT_optimizeTrainFromBuffer_fastCover(
      out.bytes.data(), out.bytes.size(), concatenated.data(), sizes.data(),
      static_cast<unsigned>(sizes.size()), &params);
  if (ZDICT_isError(size)) {
    out.error = std::string("zstd could not train a dictionary: ") + ZDICT_getErrorName(size) +
                " (" + counted + ": record more traffic, or give a smaller --max-size)";
    out.bytes.clear();
    return out;
  }
  out.bytes.resize(size);
  return out;
}

Gain measure(std::span<const std::string> samples, std::span<const std::uint8_t> dictionary,
             const protocol::CompressionSettings& settings) {
  constexpr std::uint16_t kId = 1;  // any id: the set holds this dictionary alone
  auto set = std::make_shared<protocol::DictionarySet>();
  const bool usable = set->add(kId, dictionary, settings.level);
  protocol::Compressor compressor(set);
  protocol::CompressionSettings without = settings, with = settings;
  without.dictionary = 0;
  with.dictionary = usable ? kId : 0;
  without.back_off = with.back_off = false;  // each sample on its own, as a lone message
  protocol::AlignedBuffer out;
  auto on_wire = [&](const std::string& sample, const protocol::CompressionSettings& s) {
    std::uint16_t used = 0;
    const std::span<const std::uint8_t> body(reinterpret_cast<const std::uint8_t*>(sample.data()),
                                             sample.size());
    return compressor.compress(body, s, out, used) ? out.size() : sample.size();
  };
  Gain gain;
  for (const auto& sample : samples) {
    ++gain.bodies;
    gain.bytes += sample.size();
    gain.without += on_wire(sample, without);
    gain.with_dictionary += on_wire(sample, with);
  }
  return gain;
}

Split split_samples(std::vector<std::string> samples) {
  Split split;
  std::unordered_set<std::string_view> seen;
  std::vector<std::string> unique;
  unique.reserve(samples.size());
  for (auto& sample : samples) {
    if (seen.contains(sample)) {
      ++split.duplicates;
      continue;
    }
    unique.push_back(std::move(sample));
    seen.insert(unique.back());  // views into `unique`: reserved, so they stay put
  }
  if (unique.size() < kMinSamplesToHoldOut) {
    split.held_out = unique;
    split.training = std::move(unique);
    return split;
  }
  split.measured_apart = true;
  for (std::size_t i = 0; i < unique.size(); ++i)
    (i % kHeldOutEvery == kHeldOutEvery - 1 ? split.held_out : split.training)
        .push_back(std::move(unique[i]));
  return split;
}

}  // namespace kite::dict
