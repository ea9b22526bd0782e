#include "kite/capture/stream_reassembler.h"

#include <algorithm>
#include <iterator>

namespace kite::capture {
namespace {

// What a waiting chunk costs beyond its bytes (map node, vector header, allocator slack): counted
// against the budget, so that a flood of one-byte segments is bounded like a few big ones.
constexpr std::size_t kChunkOverhead = 64;

std::string size_text(std::size_t bytes) {
  if (bytes >= (1u << 20) && bytes % (1u << 20) == 0) return std::to_string(bytes >> 20) + " MiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace

void StreamReassembler::start(std::uint32_t first_seq) {
  if (started_) return;
  started_ = true;
  first_seq_ = first_seq;
}

std::int64_t StreamReassembler::offset_of(std::uint32_t seq) const {
  const std::uint32_t expected = first_seq_ + static_cast<std::uint32_t>(next_);
  return static_cast<std::int64_t>(next_) + static_cast<std::int32_t>(seq - expected);
}

void StreamReassembler::add(std::uint32_t seq, std::span<const std::uint8_t> payload, bool fin,
                            std::vector<std::uint8_t>& out) {
  if (!started_ || failed() || finished()) return;
  const std::int64_t begin = offset_of(seq);
  std::int64_t end = begin + static_cast<std::int64_t>(payload.size());
  const auto next = static_cast<std::int64_t>(next_);
  if (fin && !fin_offset_ && end >= next) {
    fin_offset_ = static_cast<std::uint64_t>(end);
    drop_beyond(*fin_offset_);
  }
  if (fin_offset_) end = std::min(end, static_cast<std::int64_t>(*fin_offset_));
  if (end <= next) {  // all of it was handed on already
    duplicates_ += payload.size();
    return;
  }
  const std::int64_t from = std::max(begin, next);
  duplicates_ += static_cast<std::uint64_t>(from - begin);
  const auto bytes =
      payload.subspan(static_cast<std::size_t>(from - begin), static_cast<std::size_t>(end - from));
  if (from == next && chunks_.empty()) {  // in order, nothing waiting: the common case
    out.insert(out.end(), bytes.begin(), bytes.end());
    next_ += bytes.size();
    return;
  }
  store(static_cast<std::uint64_t>(from), bytes);
  drain(out);
}

void StreamReassembler::store(std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  std::uint64_t at = offset;
  const std::uint64_t end = offset + bytes.size();
  // A chunk that starts before `at` may cover its beginning: those bytes were seen first.
  auto it = chunks_.upper_bound(at);
  if (it != chunks_.begin()) {
    const auto before = std::prev(it);
    const std::uint64_t before_end = before->first + before->second.size();
    if (before_end > at) {
      duplicates_ += std::min(before_end, end) - at;
      at = std::min(before_end, end);
    }
  }
  while (at < end) {
    it = chunks_.lower_bound(at);
    const std::uint64_t piece_end = it == chunks_.end() ? end : std::min(end, it->first);
    if (piece_end > at) {
      const std::size_t size = static_cast<std::size_t>(piece_end - at);
      if (buffered_ + size + kChunkOverhead > max_buffered_) {
        error_ = "more than " + size_text(max_buffered_) +
                 " arrived out of order while the byte at stream offset " + std::to_string(next_) +
                 " was missing: this direction is dropped there";
        chunks_.clear();
        buffered_ = 0;
        return;
      }
      const auto first = bytes.begin() + static_cast<std::ptrdiff_t>(at - offset);
      chunks_.emplace(at,
                      std::vector<std::uint8_t>(first, first + static_cast<std::ptrdiff_t>(size)));
      buffered_ += size + kChunkOverhead;
    }
    if (it == chunks_.end() || it->first >= end) break;
    const std::uint64_t chunk_end = it->first + it->second.size();  // seen first: skip it
    duplicates_ += std::min(chunk_end, end) - it->first;
    at = chunk_end;
  }
}

void StreamReassembler::drain(std::vector<std::uint8_t>& out) {
  while (!chunks_.empty() && chunks_.begin()->first == next_) {
    auto& bytes = chunks_.begin()->second;
    out.insert(out.end(), bytes.begin(), bytes.end());
    next_ += bytes.size();
    buffered_ -= bytes.size() + kChunkOverhead;
    chunks_.erase(chunks_.begin());
  }
}

void StreamReassembler::drop_beyond(std::uint64_t end) {
  while (!chunks_.empty()) {
    auto last = std::prev(chunks_.end());
    const std::uint64_t last_end = last->first + last->second.size();
    if (last_end <= end) return;
    if (last->first >= end) {
      buffered_ -= last->second.size() + kChunkOverhead;
      chunks_.erase(last);
      continue;
    }
    const std::size_t keep = static_cast<std::size_t>(end - last->first);
    buffered_ -= last->second.size() - keep;
    last->second.resize(keep);
    return;
  }
}

std::optional<StreamReassembler::Gap> StreamReassembler::gap() const {
  if (failed()) return std::nullopt;  // the error said it already
  if (!chunks_.empty()) return Gap{next_, chunks_.begin()->first - next_};
  if (fin_offset_ && next_ < *fin_offset_) return Gap{next_, *fin_offset_ - next_};
  return std::nullopt;
}

}  // namespace kite::capture
