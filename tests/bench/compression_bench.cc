// zstd compression of frame bodies through the protocol's Compressor and Decompressor: a 1 KiB
// JSON telemetry batch without a dictionary, and small (100-200 B) single readings with and
// without a dictionary trained on a separate generated corpus by kite::dict::train, with the
// defaults of `kite dict train` (16 KiB, fastCover with its parameters searched).
//
// Items are bodies. bytes_per_second counts uncompressed bytes in both directions; a body that was
// not worth compressing is sent as it is and costs the decompressor nothing, but still counts.
// Counters: bytes_in and bytes_out per body (out = what goes on the wire: the original when
// compressing does not pay), ratio = in / out, compressed = share of bodies sent compressed.
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.h"
#include "kite/dict/training.h"
#include "kite/protocol/compression.h"
#include "kite/protocol/frame_header.h"
#include "telemetry_corpus.h"

namespace kite::bench {
namespace {

using protocol::AlignedBuffer;
using protocol::CompressionSettings;
using protocol::Compressor;
using protocol::Decompressor;
using protocol::DictionarySet;

constexpr std::uint16_t kDictionaryId = 1;
constexpr std::size_t kTrainingSamples = 20'000;
constexpr std::size_t kSmallBodies = 1'000;

enum class Case { Batch1KiB, SmallNoDictionary, SmallDictionary };

struct Fixture {
  std::vector<std::string> batch;  // one 1 KiB body
  std::vector<std::string> small;  // readings not in the training corpus
  std::vector<std::uint8_t> dictionary;
  std::shared_ptr<DictionarySet> dictionaries = std::make_shared<DictionarySet>();
};

std::vector<std::uint8_t> train_dictionary() {
  dict::TrainingOptions options;  // kite dict train's defaults
  options.id = kDictionaryId;
  return dict::train(telemetry_readings(kTrainingSamples, /*seed=*/1), options).bytes;
}

const Fixture& fixture() {
  static const Fixture built = [] {
    Fixture f;
    f.batch.push_back(telemetry_batch(1024, /*seed=*/3));
    f.small = telemetry_readings(kSmallBodies, /*seed=*/2);
    f.dictionary = train_dictionary();
    if (!f.dictionary.empty()) f.dictionaries->add(kDictionaryId, f.dictionary);
    return f;
  }();
  return built;
}

const std::vector<std::string>& bodies_for(Case c) {
  return c == Case::Batch1KiB ? fixture().batch : fixture().small;
}

CompressionSettings settings_for(Case c) {
  CompressionSettings settings;
  settings.threshold = 0;  // measure every body, whatever its size
  settings.dictionary_threshold = 0;
  settings.back_off = false;  // zstd's own cost on every body, not the encoder's skipping
  settings.dictionary = c == Case::SmallDictionary ? kDictionaryId : 0;
  return settings;
}

std::span<const std::uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

struct Totals {
  std::size_t in = 0;
  std::size_t out = 0;
  std::size_t compressed = 0;
};

void report(benchmark::State& state, const Totals& t, std::size_t bodies) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(bodies));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(t.in));
  auto n = static_cast<double>(bodies);
  state.counters["bytes_in"] = static_cast<double>(t.in) / n;
  state.counters["bytes_out"] = static_cast<double>(t.out) / n;
  state.counters["ratio"] = static_cast<double>(t.in) / static_cast<double>(t.out);
  state.counters["compressed"] = static_cast<double>(t.compressed) / n;
}

bool needs_dictionary_but_none(benchmark::State& state, Case c) {
  if (c != Case::SmallDictionary || !fixture().dictionary.empty()) return false;
  state.SkipWithError("dictionary training failed");
  return true;
}

Totals compress_all(Compressor& compressor, const std::vector<std::string>& bodies,
                    const CompressionSettings& settings, AlignedBuffer& out) {
  Totals t;
  for (const auto& body : bodies) {
    std::uint16_t dictionary = 0;
    bool compressed = compressor.compress(bytes_of(body), settings, out, dictionary);
    benchmark::DoNotOptimize(out.data());
    t.in += body.size();
    t.out += compressed ? out.size() : body.size();
    t.compressed += compressed ? 1 : 0;
  }
  return t;
}

void BM_Compress(benchmark::State& state, Case c) {
  if (needs_dictionary_but_none(state, c)) return;
  const auto& bodies = bodies_for(c);
  auto settings = settings_for(c);
  Compressor compressor(fixture().dictionaries);
  AlignedBuffer out;
  Totals totals = compress_all(compressor, bodies, settings, out);  // warm-up

  AllocationMeter allocations;
  for (auto _ : state) compress_all(compressor, bodies, settings, out);
  allocations.report(state, bodies.size(), "allocs/body");
  report(state, totals, bodies.size());
}

void BM_Decompress(benchmark::State& state, Case c) {
  if (needs_dictionary_but_none(state, c)) return;
  const auto& bodies = bodies_for(c);
  auto settings = settings_for(c);
  Compressor compressor(fixture().dictionaries);
  struct Packed {
    std::vector<std::uint8_t> bytes;
    std::uint16_t dictionary;
  };
  std::vector<Packed> packed;  // the bodies that went out compressed
  AlignedBuffer out;
  Totals totals;
  for (const auto& body : bodies) {
    std::uint16_t dictionary = 0;
    bool compressed = compressor.compress(bytes_of(body), settings, out, dictionary);
    if (compressed) packed.push_back({{out.data(), out.data() + out.size()}, dictionary});
    totals.in += body.size();
    totals.out += compressed ? out.size() : body.size();
    totals.compressed += compressed ? 1 : 0;
  }

  Decompressor decompressor(fixture().dictionaries);
  auto decompress_all = [&] {
    for (const auto& p : packed) {
      auto reason = decompressor.decompress(p.bytes, p.dictionary, protocol::kAbsoluteMaxBody, out);
      if (reason != protocol::Reason::None) return false;
      benchmark::DoNotOptimize(out.data());
    }
    return true;
  };
  if (!decompress_all()) {  // warm-up and check
    state.SkipWithError("decompression failed");
    return;
  }

  AllocationMeter allocations;
  for (auto _ : state) decompress_all();
  allocations.report(state, bodies.size(), "allocs/body");
  // Bodies that went out uncompressed cost the receiver nothing here: rates are over all bodies.
  report(state, totals, bodies.size());
}

BENCHMARK_CAPTURE(BM_Compress, json_1KiB_no_dict, Case::Batch1KiB);
BENCHMARK_CAPTURE(BM_Decompress, json_1KiB_no_dict, Case::Batch1KiB);
BENCHMARK_CAPTURE(BM_Compress, small_no_dict, Case::SmallNoDictionary);
BENCHMARK_CAPTURE(BM_Decompress, small_no_dict, Case::SmallNoDictionary);
BENCHMARK_CAPTURE(BM_Compress, small_dict, Case::SmallDictionary);
BENCHMARK_CAPTURE(BM_Decompress, small_dict, Case::SmallDictionary);

}  // namespace
}  // namespace kite::bench
