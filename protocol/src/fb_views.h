// Views over verified FlatBuffers fields: absent fields read as empty.
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

}  // namespace kite::protocol
