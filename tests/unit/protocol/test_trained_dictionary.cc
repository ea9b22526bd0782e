// Trained dictionaries are taken by the id in their header, and only when it fits a frame.
#include <doctest/doctest.h>

#include <string>

#include "frame_helpers.h"
#include "kite/protocol/trained_dictionary.h"
#include "trained_dictionary_fixture.h"

using namespace kite::protocol;
using namespace kite::test;

TEST_CASE("a trained dictionary is added under the id in its header") {
  auto bytes = trained_dictionary(4242);
  CHECK(dictionary_id(bytes) == 4242);
  DictionarySet set;
  std::uint16_t id = 0;
  CHECK(add_trained_dictionary(set, bytes, 3, id) == "");
  CHECK(id == 4242);
  CHECK(set.compression(4242) != nullptr);
  CHECK(set.decompression(4242) != nullptr);
}

TEST_CASE("files without a usable id are refused, saying what to do") {
  DictionarySet set;
  std::uint16_t id = 0;
  SUBCASE("raw content") {
    CHECK(dictionary_id(bytes_of("just some text, no zstd header")) == 0);
    CHECK(add_trained_dictionary(set, bytes_of("just some text, no zstd header"), 3, id) ==
          "not a zstd dictionary with an id (make one with `kite dict train`)");
  }
  SUBCASE("an id frames cannot carry") {
    auto message = add_trained_dictionary(set, trained_dictionary(70000), 3, id);
    CHECK(message.find("dictionary id 70000 is above 65535") == 0);
    CHECK(message.find("--id") != std::string::npos);
  }
  SUBCASE("the same id twice") {
    auto bytes = trained_dictionary(7);
    REQUIRE(add_trained_dictionary(set, bytes, 3, id) == "");
    CHECK(add_trained_dictionary(set, bytes, 3, id) == "dictionary id 7 is given twice");
  }
  CHECK(set.ids().size() <= 1);
}

TEST_CASE("a dictionary both sides hold round-trips small bodies by its id") {
  auto set = std::make_shared<DictionarySet>();
  std::uint16_t id = 0;
  REQUIRE(add_trained_dictionary(*set, trained_dictionary(31000), 3, id) == "");
  Compressor compressor(set);
  Decompressor decompressor(set);
  CompressionSettings settings;
  settings.dictionary = id;
  settings.dictionary_threshold = 0;  // this body is below the default: measure it anyway
  const std::string body = sensor_reading(12);
  AlignedBuffer packed, unpacked;
  std::uint16_t used = 0;
  REQUIRE(compressor.compress(bytes_of(body), settings, packed, used));
  CHECK(used == 31000);
  CHECK(packed.size() < body.size());
  REQUIRE(decompressor.decompress(packed.view(), used, 1 << 16, unpacked) == Reason::None);
  CHECK(std::string(unpacked.view().begin(), unpacked.view().end()) == body);
}
