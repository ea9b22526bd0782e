// Framing benchmarks: encoding one publish, and decoding + verifying a coalesced read of many,
// whole, cut into MTU-sized chunks, or misaligned; with the baselines they are judged against
// (memcpy of the same bytes, the FlatBuffers Verifier alone, the frame splitter alone).
//
// Items are frames: items_per_second is frames/s. Each benchmark reports allocs/frame over its
// timed loop, after one warm-up pass.
#include <algorithm>
#include <cstring>
#include <limits>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.h"
#include "kite/protocol/frame_codec.h"
#include "kite/protocol/frame_decoder.h"
#include "publish_stream.h"

namespace kite::bench {
namespace {

using protocol::BodyDecoder;
using protocol::DecodeResult;
using protocol::FrameDecoder;
using protocol::FrameEncoder;

constexpr std::size_t kFramesPerRead = 1000;
constexpr std::size_t kMtuChunk = 1500;
constexpr std::size_t kFailed = std::numeric_limits<std::size_t>::max();

void set_rates(benchmark::State& state, std::size_t frames, std::size_t bytes) {
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(frames));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(bytes));
}

// --- encode ----------------------------------------------------------------------------------

// One publish into a reused output vector; `default_compression` false turns compression off,
// true keeps the default settings (zstd tried on bodies of 256 B and more).
enum class Compression { Off, Default, NoBackOff };

void BM_Encode(benchmark::State& state, Compression compression) {
  auto payload = random_payload(static_cast<std::size_t>(state.range(0)));
  FrameEncoder encoder;
  if (compression == Compression::Off)
    encoder.compression().threshold = std::numeric_limits<std::size_t>::max();
  if (compression == Compression::NoBackOff) encoder.compression().back_off = false;
  std::vector<std::uint8_t> out;
  std::uint64_t seq = 1;
  encode_publish(encoder, seq++, payload, out);  // warm-up: builder and vector reach their size

  AllocationMeter allocations;
  for (auto _ : state) {
    out.clear();
    encode_publish(encoder, seq++, payload, out);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  allocations.report(state, 1);
  set_rates(state, 1, out.size());
}

// --- decode + verify -------------------------------------------------------------------------

// Feeds `stream` to `decoder` in chunks of `chunk` bytes (0: whole) and decodes everything.
std::size_t feed_and_decode(const PublishStream& stream, std::size_t chunk, FrameDecoder& decoder,
                            BodyDecoder& body) {
  auto bytes = stream.bytes();
  if (chunk == 0) chunk = bytes.size();
  std::size_t frames = 0;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    decoder.feed(bytes.subspan(at, std::min(chunk, bytes.size() - at)));
    std::size_t got = decode_and_verify_all(decoder, body);
    if (got == kFailed) return kFailed;
    frames += got;
  }
  return frames;
}

void run_decode_verify(benchmark::State& state, std::size_t chunk, std::size_t misalign) {
  auto stream =
      make_publish_stream(kFramesPerRead, static_cast<std::size_t>(state.range(0)), 1, misalign);
  FrameDecoder decoder;
  BodyDecoder body;
  if (feed_and_decode(stream, chunk, decoder, body) != stream.frames) {  // warm-up and check
    state.SkipWithError("the stream did not decode");
    return;
  }

  AllocationMeter allocations;
  for (auto _ : state) {
    if (feed_and_decode(stream, chunk, decoder, body) != stream.frames) {
      state.SkipWithError("the stream did not decode");
      break;
    }
  }
  allocations.report(state, stream.frames);
  set_rates(state, stream.frames, stream.size);
  state.counters["frame_bytes"] = static_cast<double>(stream.frame_bytes);
}

// A coalesced read of 1000 frames, fed whole: every frame is returned in place.
void BM_DecodeVerify(benchmark::State& state) {
  run_decode_verify(state, 0, 0);
}

// The same bytes fed in 1500-byte reads: frames split across reads go through the reassembly copy.
void BM_DecodeVerifyMtuChunks(benchmark::State& state) {
  run_decode_verify(state, kMtuChunk, 0);
}

// The read buffer 4 bytes off alignment (read_offset_hint() ignored): every body is copied.
void BM_DecodeVerifyMisaligned(benchmark::State& state) {
  run_decode_verify(state, 0, 4);
}

// --- baselines -------------------------------------------------------------------------------

// memcpy of the same coalesced read: the floor for touching every byte once.
void BM_BaselineMemcpy(benchmark::State& state) {
  auto stream = make_publish_stream(kFramesPerRead, static_cast<std::size_t>(state.range(0)));
  std::vector<std::uint64_t> copy(stream.words.size());
  AllocationMeter allocations;
  for (auto _ : state) {
    std::memcpy(copy.data(), stream.bytes().data(), stream.size);
    benchmark::DoNotOptimize(copy.data());
    benchmark::ClobberMemory();
  }
  allocations.report(state, stream.frames);
  set_rates(state, stream.frames, stream.size);
}

// The FrameDecoder alone: headers read and checked, bodies returned in place, nothing verified.
void BM_BaselineSplitOnly(benchmark::State& state) {
  auto stream = make_publish_stream(kFramesPerRead, static_cast<std::size_t>(state.range(0)));
  FrameDecoder decoder;
  AllocationMeter allocations;
  for (auto _ : state) {
    decoder.feed(stream.bytes());
    std::size_t frames = 0;
    for (DecodeResult r = decoder.next(); r.status == DecodeResult::Status::Frame;
         r = decoder.next()) {
      benchmark::DoNotOptimize(r.frame.body.data());
      ++frames;
    }
    if (frames != stream.frames) {
      state.SkipWithError("the stream did not split");
      break;
    }
  }
  allocations.report(state, stream.frames);
  set_rates(state, stream.frames, stream.size);
}

// The FlatBuffers Verifier alone, with BodyDecoder's options, over the bodies found beforehand.
void BM_BaselineVerifyOnly(benchmark::State& state) {
  auto stream = make_publish_stream(kFramesPerRead, static_cast<std::size_t>(state.range(0)));
  std::vector<std::span<const std::uint8_t>> bodies;
  FrameDecoder decoder;
  decoder.feed(stream.bytes());
  for (DecodeResult r = decoder.next(); r.status == DecodeResult::Status::Frame; r = decoder.next())
    bodies.push_back(r.frame.body);

  flatbuffers::Verifier::Options options;
  options.max_depth = protocol::kVerifierMaxDepth;
  options.max_tables = protocol::kVerifierMaxTables;
  options.check_nested_flatbuffers = false;
  AllocationMeter allocations;
  for (auto _ : state) {
    for (auto body : bodies) {
      flatbuffers::Verifier verifier(body.data(), body.size(), options);
      bool ok = wire::VerifyFrameBuffer(verifier);
      benchmark::DoNotOptimize(ok);
    }
  }
  allocations.report(state, bodies.size());
  set_rates(state, bodies.size(), stream.size);
}

BENCHMARK_CAPTURE(BM_Encode, compression_off, Compression::Off)
    ->ArgName("payload")
    ->Arg(64)
    ->Arg(1024);
// Default settings: a 1 KiB random body is above the threshold, so zstd is tried and its result
// refused; after such misses the compressor backs off (skips up to 64 candidates).
BENCHMARK_CAPTURE(BM_Encode, compression_default, Compression::Default)
    ->ArgName("payload")
    ->Arg(1024);
// The same with the back-off disabled: every body pays for a failed zstd attempt.
BENCHMARK_CAPTURE(BM_Encode, compression_no_backoff, Compression::NoBackOff)
    ->ArgName("payload")
    ->Arg(1024);
BENCHMARK(BM_DecodeVerify)->ArgName("payload")->Arg(64)->Arg(1024);
BENCHMARK(BM_DecodeVerifyMtuChunks)->ArgName("payload")->Arg(64)->Arg(1024);
BENCHMARK(BM_DecodeVerifyMisaligned)->ArgName("payload")->Arg(64);
BENCHMARK(BM_BaselineMemcpy)->ArgName("payload")->Arg(64)->Arg(1024);
BENCHMARK(BM_BaselineSplitOnly)->ArgName("payload")->Arg(64);
BENCHMARK(BM_BaselineVerifyOnly)->ArgName("payload")->Arg(64)->Arg(1024);

}  // namespace
}  // namespace kite::bench
