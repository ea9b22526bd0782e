#include "kite/protocol/frame_header.h"

namespace kite::protocol {
namespace {

std::uint32_t load_u32(const std::uint8_t* p) {
  return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
         std::uint32_t(p[3]) << 24;
}

std::uint16_t load_u16(const std::uint8_t* p) {
  return static_cast<std::uint16_t>(p[0] | p[1] << 8);
}

void store_u32(std::uint32_t v, std::uint8_t* p) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}

void store_u16(std::uint16_t v, std::uint8_t* p) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}

}  // namespace

void write_header(const FrameHeader& header, std::uint8_t* out) {
  store_u32(header.length, out);
  store_u16(header.flags, out + 4);
  store_u16(header.dictionary, out + 6);
}

Reason read_header(std::span<const std::uint8_t, kHeaderSize> bytes, std::uint32_t max_body,
                   FrameHeader& header) {
  header.length = load_u32(bytes.data());
  header.flags = load_u16(bytes.data() + 4);
  header.dictionary = load_u16(bytes.data() + 6);
  if (header.length > max_body || header.length > kAbsoluteMaxBody) return Reason::FrameTooLarge;
  if ((header.flags & ~flags::kKnown) != 0) return Reason::BadFlags;
  if (header.dictionary != 0 && !header.compressed()) return Reason::BadFlags;
  return Reason::None;
}

}  // namespace kite::protocol
