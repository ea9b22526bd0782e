// zstd compression of frame bodies, with optional trained dictionaries selected by id.
//
// Rules it keeps:
//  - a body is compressed only above a size threshold and only when the result is smaller on the
//    wire (padding included);
//  - a stream of incompressible bodies (encrypted or already compressed payloads) is detected:
//    after an attempt that did not pay, the next 1, 2, 4 ... 64 candidates go out as they are,
//    so such a stream costs a failed zstd attempt only now and then, not on every frame;
//  - every compressed body is one zstd frame that states its content size; decompression refuses a
//    frame whose size is missing or above the limit before allocating anything (no bombs), and
//    writes into a reused buffer (no allocation in steady state);
//  - zstd contexts are created on first use: a connection that never compresses never pays;
//  - dictionaries are loaded once into a DictionarySet, immutable afterwards and shared by every
//    connection (and thread) that uses it.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <vector>

#include "kite/protocol/aligned_buffer.h"
#include "kite/protocol/reason.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;
struct ZSTD_CDict_s;
struct ZSTD_DDict_s;

namespace kite::protocol {

class DictionarySet {
 public:
  DictionarySet();
  ~DictionarySet();
  DictionarySet(const DictionarySet&) = delete;
  DictionarySet& operator=(const DictionarySet&) = delete;

  // Loads a dictionary (raw content or zstd-trained) under `id` (1..65535) at `level`.
  // Returns false if the id is 0, taken, or zstd rejects the bytes.
  bool add(std::uint16_t id, std::span<const std::uint8_t> bytes, int level = 3);

  const ZSTD_CDict_s* compression(std::uint16_t id) const;
  const ZSTD_DDict_s* decompression(std::uint16_t id) const;
  std::vector<std::uint16_t> ids() const;

 private:
  struct Entry;
  std::map<std::uint16_t, std::unique_ptr<Entry>> entries_;
};

struct CompressionSettings {
  std::size_t threshold = 256;            // bodies smaller than this are sent as they are
  std::size_t dictionary_threshold = 48;  // the same when a dictionary is in use
  int level = 3;
  std::uint16_t dictionary = 0;  // 0 = none; must be in the DictionarySet
  bool back_off = true;          // skip candidates after attempts that did not pay (see above)
};

class Compressor {
 public:
  explicit Compressor(std::shared_ptr<const DictionarySet> dictionaries = nullptr);
  ~Compressor();
  Compressor(const Compressor&) = delete;
  Compressor& operator=(const Compressor&) = delete;

  // Compresses `body` into `out` if that pays under `settings`; returns the dictionary id used
  // (0 for none) through `dictionary`. Returns false (and leaves `out` unspecified) when the body
  // should go uncompressed.
  bool compress(std::span<const std::uint8_t> body, const CompressionSettings& settings,
                AlignedBuffer& out, std::uint16_t& dictionary);

  std::uint64_t attempts() const { return attempts_; }  // calls into zstd, paying or not

 private:
  std::shared_ptr<const DictionarySet> dictionaries_;
  ZSTD_CCtx_s* cctx_;
  std::uint64_t attempts_ = 0;
  // Kept apart for bodies without and with a dictionary: one Compressor serves every session of
  // a worker, and bodies that do not shrink alone may well shrink with the dictionary.
  struct BackOff {
    std::uint32_t next = 0;            // candidates to skip after the next miss, doubled per miss
    std::uint32_t skip_remaining = 0;  // candidates still to skip
  };
  BackOff back_off_[2];  // [0]: no dictionary, [1]: with one
};

class Decompressor {
 public:
  explicit Decompressor(std::shared_ptr<const DictionarySet> dictionaries = nullptr);
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  // Decompresses one zstd frame into `out` (resized to the content size). Reasons:
  // DecompressionBomb (size missing or above max_size), UnknownDictionary, DecompressionFailed.
  Reason decompress(std::span<const std::uint8_t> compressed, std::uint16_t dictionary,
                    std::size_t max_size, AlignedBuffer& out);

 private:
  std::shared_ptr<const DictionarySet> dictionaries_;
  ZSTD_DCtx_s* dctx_;
};

}  // namespace kite::protocol
