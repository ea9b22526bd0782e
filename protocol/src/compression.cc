#include "kite/protocol/compression.h"

#include <zstd.h>

#include <algorithm>

#include "kite/protocol/frame_header.h"

namespace kite::protocol {
namespace {
constexpr std::uint32_t kMaxBackoff = 64;  // at most 1 in 65 incompressible bodies is tried
}  // namespace

struct DictionarySet::Entry {
  ZSTD_CDict* cdict = nullptr;
  ZSTD_DDict* ddict = nullptr;
  ~Entry() {
    ZSTD_freeCDict(cdict);
    ZSTD_freeDDict(ddict);
  }
};

DictionarySet::DictionarySet() = default;
DictionarySet::~DictionarySet() = default;

bool DictionarySet::add(std::uint16_t id, std::span<const std::uint8_t> bytes, int level) {
  if (id == 0 || entries_.contains(id) || bytes.empty()) return false;
  auto entry = std::make_unique<Entry>();
  entry->cdict = ZSTD_createCDict(bytes.data(), bytes.size(), level);
  entry->ddict = ZSTD_createDDict(bytes.data(), bytes.size());
  if (!entry->cdict || !entry->ddict) return false;
  entries_.emplace(id, std::move(entry));
  return true;
}

const ZSTD_CDict* DictionarySet::compression(std::uint16_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second->cdict;
}

const ZSTD_DDict* DictionarySet::decompression(std::uint16_t id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second->ddict;
}

std::vector<std::uint16_t> DictionarySet::ids() const {
  std::vector<std::uint16_t> ids;
  for (const auto& [id, entry] : entries_) ids.push_back(id);
  return ids;
}

Compressor::Compressor(std::shared_ptr<const DictionarySet> dictionaries)
    : dictionaries_(std::move(dictionaries)), cctx_(nullptr) {}

Compressor::~Compressor() {
  ZSTD_freeCCtx(cctx_);
}

bool Compressor::compress(std::span<const std::uint8_t> body, const CompressionSettings& settings,
                          AlignedBuffer& out, std::uint16_t& dictionary) {
  const ZSTD_CDict* cdict = nullptr;
  if (settings.dictionary != 0 && dictionaries_)
    cdict = dictionaries_->compression(settings.dictionary);
  std::size_t threshold = cdict ? settings.dictionary_threshold : settings.threshold;
  if (body.size() < threshold) return false;
  BackOff& back_off = back_off_[cdict ? 1 : 0];
  if (back_off.skip_remaining > 0 && settings.back_off) {
    --back_off.skip_remaining;
    return false;
  }

  if (!cctx_) {  // created on first use: a connection of small messages never pays for it
    cctx_ = ZSTD_createCCtx();
    if (!cctx_) return false;
    // The frame header carries the dictionary id; zstd's own copy would only cost 4 bytes.
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_dictIDFlag, 0);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_contentSizeFlag, 1);
    ZSTD_CCtx_setParameter(cctx_, ZSTD_c_checksumFlag, 0);
  }
  out.resize(ZSTD_compressBound(body.size()));
  // A referenced dictionary brings its own level; without one, the settings' level applies.
  ZSTD_CCtx_refCDict(cctx_, cdict);
  if (!cdict) ZSTD_CCtx_setParameter(cctx_, ZSTD_c_compressionLevel, settings.level);
  std::size_t written = ZSTD_compress2(cctx_, out.data(), out.capacity(), body.data(), body.size());
  ++attempts_;
  if (ZSTD_isError(written) || frame_size(written) >= frame_size(body.size())) {
    back_off.next =
        std::min<std::uint32_t>(back_off.next == 0 ? 1 : back_off.next * 2, kMaxBackoff);
    back_off.skip_remaining = back_off.next;
    return false;
  }
  back_off.next = 0;
  out.resize(written);
  dictionary = cdict ? settings.dictionary : 0;
  return true;
}

Decompressor::Decompressor(std::shared_ptr<const DictionarySet> dictionaries)
    : dictionaries_(std::move(dictionaries)), dctx_(nullptr) {}

Decompressor::~Decompressor() {
  ZSTD_freeDCtx(dctx_);
}

Reason Decompressor::decompress(std::span<const std::uint8_t> compressed, std::uint16_t dictionary,
                                std::size_t max_size, AlignedBuffer& out) {
  unsigned long long size = ZSTD_getFrameContentSize(compressed.data(), compressed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR) return Reason::DecompressionFailed;
  if (size == ZSTD_CONTENTSIZE_UNKNOWN || size > max_size) return Reason::DecompressionBomb;
  // One frame exactly: trailing bytes or a second frame are refused.
  if (ZSTD_findFrameCompressedSize(compressed.data(), compressed.size()) != compressed.size())
    return Reason::DecompressionFailed;

  const ZSTD_DDict* ddict = nullptr;
  if (dictionary != 0) {
    ddict = dictionaries_ ? dictionaries_->decompression(dictionary) : nullptr;
    if (!ddict) return Reason::UnknownDictionary;
  }
  if (!dctx_) {  // created on first use, like the compressor's
    dctx_ = ZSTD_createDCtx();
    if (!dctx_) return Reason::Internal;
    // Bound the decoder's window (its working memory) to the largest body any peer may send.
    ZSTD_DCtx_setParameter(dctx_, ZSTD_d_windowLogMax, 24);
  }
  out.resize(size);
  ZSTD_DCtx_refDDict(dctx_, ddict);  // nullptr returns to no dictionary
  std::size_t produced =
      ZSTD_decompressDCtx(dctx_, out.data(), size, compressed.data(), compressed.size());
  if (ZSTD_isError(produced) || produced != size) return Reason::DecompressionFailed;
  return Reason::None;
}

}  // namespace kite::protocol
