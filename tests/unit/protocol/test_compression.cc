// Compression policy: only above the threshold, only when it pays, dictionaries by id.
#include <doctest/doctest.h>

#include <string>

#include "frame_helpers.h"
#include "kite/protocol/compression.h"

using namespace kite::protocol;
using namespace kite::test;

namespace {

std::string telemetry(int i) {
  return R"({"device":"meter-)" + std::to_string(1000 + i) + R"(","temperature_c":)" +
         std::to_string(20 + i % 7) + R"(.5,"humidity_pct":)" + std::to_string(40 + i % 13) +
         R"(,"battery_mv":)" + std::to_string(3600 + i % 50) + "}";
}

std::shared_ptr<DictionarySet> telemetry_dictionary(std::uint16_t id) {
  // A raw-content dictionary: the repeated parts of the messages.
  std::string content;
  for (int i = 0; i < 20; ++i) content += telemetry(i);
  auto set = std::make_shared<DictionarySet>();
  REQUIRE(set->add(id, bytes_of(content)));
  return set;
}

}  // namespace

TEST_CASE("small bodies go uncompressed; large compressible ones compressed") {
  Compressor compressor;
  CompressionSettings settings;
  AlignedBuffer out;
  std::uint16_t dictionary = 99;
  CHECK_FALSE(compressor.compress(bytes_of("short"), settings, out, dictionary));
  Bytes big(4000, 'x');
  REQUIRE(compressor.compress(big, settings, out, dictionary));
  CHECK(dictionary == 0);
  CHECK(out.size() < 100);

  Decompressor decompressor;
  AlignedBuffer back;
  REQUIRE(decompressor.decompress(out.view(), 0, 4000, back) == Reason::None);
  CHECK(Bytes(back.view().begin(), back.view().end()) == big);
  CHECK(decompressor.decompress(out.view(), 0, 3999, back) == Reason::DecompressionBomb);
}

TEST_CASE("incompressible bodies go uncompressed even above the threshold") {
  Compressor compressor;
  Bytes noise(2000);
  std::uint32_t x = 12345;
  for (auto& b : noise) b = static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 16);
  AlignedBuffer out;
  std::uint16_t dictionary = 0;
  CHECK_FALSE(compressor.compress(noise, {}, out, dictionary));
}

TEST_CASE("a dictionary makes small telemetry compress, selected by id") {
  auto dictionaries = telemetry_dictionary(7);
  Compressor with(dictionaries), without;
  CompressionSettings settings;
  settings.threshold = 48;  // let the plain compressor try too
  Bytes message = bytes_of(telemetry(500));
  AlignedBuffer plain_out, dict_out;
  std::uint16_t id = 0;
  bool plain = without.compress(message, settings, plain_out, id);
  settings.dictionary = 7;
  REQUIRE(with.compress(message, settings, dict_out, id));
  CHECK(id == 7);
  CHECK(dict_out.size() < message.size() / 2);
  if (plain) CHECK(dict_out.size() < plain_out.size());

  Decompressor decompressor(dictionaries);
  AlignedBuffer back;
  REQUIRE(decompressor.decompress(dict_out.view(), 7, 1 << 16, back) == Reason::None);
  CHECK(Bytes(back.view().begin(), back.view().end()) == message);
  CHECK(decompressor.decompress(dict_out.view(), 8, 1 << 16, back) == Reason::UnknownDictionary);
  Decompressor no_dictionaries;
  CHECK(no_dictionaries.decompress(dict_out.view(), 7, 1 << 16, back) == Reason::UnknownDictionary);
}

TEST_CASE("dictionary ids are unique and non-zero") {
  DictionarySet set;
  CHECK(set.add(1, bytes_of("some dictionary content")));
  CHECK_FALSE(set.add(1, bytes_of("again")));
  CHECK_FALSE(set.add(0, bytes_of("zero")));
  CHECK(set.ids() == std::vector<std::uint16_t>{1});
}

TEST_CASE("the encoder compresses through its settings and the decoder follows the header") {
  auto dictionaries = telemetry_dictionary(3);
  FrameEncoder encoder(dictionaries);
  encoder.compression().dictionary = 3;
  Bytes stream;
  for (int i = 0; i < 10; ++i) encode_publish(encoder, i + 1, bytes_of(telemetry(i)), stream);
  AlignedCopy read(stream);
  FrameDecoder decoder;
  BodyDecoder bodies(dictionaries);
  decoder.feed(read.view());
  std::vector<DecodedPublish> out;
  REQUIRE(drain(decoder, bodies, out) == Reason::None);
  REQUIRE(out.size() == 10);
  for (int i = 0; i < 10; ++i) {
    CHECK(out[i].compressed);
    CHECK(out[i].payload == bytes_of(telemetry(i)));
  }
}

TEST_CASE("incompressible streams back off: zstd is tried ever more rarely, then again") {
  Compressor compressor;
  Bytes noise(2000);
  std::uint32_t x = 99;
  for (auto& b : noise) b = static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 16);
  AlignedBuffer out;
  std::uint16_t dictionary = 0;
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(compressor.compress(noise, {}, out, dictionary));
  // Misses skip 1, 2, 4 ... 64 candidates: far fewer than 1000 attempts, but still some.
  CHECK(compressor.attempts() >= 15);
  CHECK(compressor.attempts() <= 25);

  // Compressible content is picked up again after at most one back-off period.
  Bytes text(2000, 'k');
  bool compressed = false;
  for (int i = 0; i < 70 && !compressed; ++i)
    compressed = compressor.compress(text, {}, out, dictionary);
  CHECK(compressed);
  CHECK(compressor.compress(text, {}, out, dictionary));  // and stays on
}

TEST_CASE("misses without a dictionary do not make bodies with one skip their turn") {
  // One compressor serves every session of a worker: some devices hold the dictionary, some
  // do not, and noise sent to the latter must not leave the former uncompressed.
  auto dictionaries = telemetry_dictionary(7);
  Compressor compressor(dictionaries);
  Bytes noise(2000);
  std::uint32_t x = 7;
  for (auto& b : noise) b = static_cast<std::uint8_t>((x = x * 1103515245 + 12345) >> 16);
  CompressionSettings plain, with_dictionary;
  with_dictionary.dictionary = 7;
  AlignedBuffer out;
  std::uint16_t dictionary = 0;
  for (int i = 0; i < 100; ++i) {
    CHECK_FALSE(compressor.compress(noise, plain, out, dictionary));
    CHECK(compressor.compress(bytes_of(telemetry(i)), with_dictionary, out, dictionary));
    CHECK(dictionary == 7);
  }
}
