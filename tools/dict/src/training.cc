#include "kite/dict/training.h"

// fastCover's parameters are declared in zstd's "experimental" section; libzstd.so exports them.
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>
#include <zstd.h>

#include <algorithm>
#include <memory>

namespace kite::dict {
namespace {

constexpr std::size_t kMinSamples = 10;
constexpr std::size_t kHeldOutEvery = 10;
constexpr std::size_t kMinSamplesToHoldOut = 100;

std::string number(std::size_t n) {
  return std::to_string(n);
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
  if (sizes.size() < kMinSamples) {
    out.error = "only " + number(sizes.size()) +
                " non-empty payloads to train on: record more traffic (hundreds of payloads at "
                "least, thousands for a good dictionary)";
    return out;
  }
  ZDICT_fastCover_params_t params{};  // k = d = 0: search them; steps, split: zstd's defaults
  params.zParams.dictID = options.id;
  params.zParams.compressionLevel = options.level;
  out.bytes.resize(options.max_bytes);
  const std::size_t size = ZDICT_optimizeTrainFromBuffer_fastCover(
      out.bytes.data(), out.bytes.size(), concatenated.data(), sizes.data(),
      static_cast<unsigned>(sizes.size()), &params);
  if (ZDICT_isError(size)) {
    out.error = std::string("zstd could not train a dictionary: ") + ZDICT_getErrorName(size) +
                " (" + number(sizes.size()) + " payloads, " + number(concatenated.size()) +
                " bytes: record more traffic, or give a smaller --max-size)";
    out.bytes.clear();
    return out;
  }
  out.bytes.resize(size);
  return out;
}

Gain measure(std::span<const std::string> samples, std::span<const std::uint8_t> dictionary,
             int level) {
  Gain gain;
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), &ZSTD_freeCCtx);
  std::unique_ptr<ZSTD_CDict, decltype(&ZSTD_freeCDict)> cdict(
      ZSTD_createCDict(dictionary.data(), dictionary.size(), level), &ZSTD_freeCDict);
  std::vector<std::uint8_t> out;
  for (const auto& sample : samples) {
    out.resize(ZSTD_compressBound(sample.size()));
    const std::size_t alone =
        ZSTD_compressCCtx(cctx.get(), out.data(), out.size(), sample.data(), sample.size(), level);
    const std::size_t with =
        cdict ? ZSTD_compress_usingCDict(cctx.get(), out.data(), out.size(), sample.data(),
                                         sample.size(), cdict.get())
              : alone;
    auto on_wire = [&](std::size_t compressed) {
      return ZSTD_isError(compressed) ? sample.size() : std::min(compressed, sample.size());
    };
    ++gain.bodies;
    gain.bytes += sample.size();
    gain.without += on_wire(alone);
    gain.with_dictionary += on_wire(with);
  }
  return gain;
}

Split split_samples(std::vector<std::string> samples) {
  Split split;
  if (samples.size() < kMinSamplesToHoldOut) {
    split.held_out = samples;
    split.training = std::move(samples);
    return split;
  }
  split.measured_apart = true;
  for (std::size_t i = 0; i < samples.size(); ++i)
    (i % kHeldOutEvery == kHeldOutEvery - 1 ? split.held_out : split.training)
        .push_back(std::move(samples[i]));
  return split;
}

}  // namespace kite::dict
