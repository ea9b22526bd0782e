// The convention for optional FlatBuffers fields in every Kite message: absent reads as empty,
// and empty is written as absent (it costs no bytes on the wire). Reads are of verified bodies.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include <flatbuffers/flatbuffers.h>

namespace kite::protocol {

inline std::string_view view(const flatbuffers::String* s) {
  return s ? std::string_view(s->c_str(), s->size()) : std::string_view();
}

inline std::span<const std::uint8_t> view(const flatbuffers::Vector<std::uint8_t>* v) {
  return v ? std::span<const std::uint8_t>(v->data(), v->size()) : std::span<const std::uint8_t>();
}

inline std::size_t length(const flatbuffers::String* s) {
  return s ? s->size() : 0;
}

inline flatbuffers::Offset<flatbuffers::String> string_or_null(flatbuffers::FlatBufferBuilder& b,
                                                               std::string_view s) {
  return s.empty() ? 0 : b.CreateString(s.data(), s.size());
}

inline flatbuffers::Offset<flatbuffers::Vector<std::uint8_t>> bytes_or_null(
    flatbuffers::FlatBufferBuilder& b, std::span<const std::uint8_t> bytes) {
  return bytes.empty() ? 0 : b.CreateVector(bytes.data(), bytes.size());
}

}  // namespace kite::protocol
