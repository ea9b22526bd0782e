// The 8-byte frame header: layout, limits and flag checks.
#include <doctest/doctest.h>

#include <array>

#include "kite/protocol/frame_header.h"

using namespace kite::protocol;

TEST_CASE("header round trip is little-endian with the documented layout") {
  std::array<std::uint8_t, kHeaderSize> bytes{};
  write_header({0x00102030, flags::kCompressed, 0x0a0b}, bytes.data());
  CHECK(bytes == std::array<std::uint8_t, 8>{0x30, 0x20, 0x10, 0x00, 0x01, 0x00, 0x0b, 0x0a});
  FrameHeader back;
  CHECK(read_header(bytes, kAbsoluteMaxBody, back) == Reason::None);
  CHECK(back.length == 0x00102030);
  CHECK(back.compressed());
  CHECK(back.dictionary == 0x0a0b);
}

TEST_CASE("header checks") {
  std::array<std::uint8_t, kHeaderSize> bytes{};
  FrameHeader header;
  SUBCASE("length above the limit") {
    write_header({1001, 0, 0}, bytes.data());
    CHECK(read_header(bytes, 1000, header) == Reason::FrameTooLarge);
    CHECK(read_header(bytes, 1001, header) == Reason::None);
  }
  SUBCASE("unknown flag bits") {
    write_header({10, 0x0002, 0}, bytes.data());
    CHECK(read_header(bytes, 1000, header) == Reason::BadFlags);
    write_header({10, 0x8000, 0}, bytes.data());
    CHECK(read_header(bytes, 1000, header) == Reason::BadFlags);
  }
  SUBCASE("a dictionary without compression") {
    write_header({10, 0, 7}, bytes.data());
    CHECK(read_header(bytes, 1000, header) == Reason::BadFlags);
  }
}

TEST_CASE("padding keeps every frame 8-byte aligned") {
  for (std::size_t n = 0; n < 64; ++n) {
    CHECK(frame_size(n) % 8 == 0);
    CHECK(frame_size(n) - kHeaderSize - n < 8);
  }
}
