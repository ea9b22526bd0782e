// Dictionary training (tools/dict): what it refuses before zstd sees it, the id it writes, what
// a dictionary gains as kited would send the messages, and the split between training and
// measuring.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "../protocol/trained_dictionary_fixture.h"
#include "kite/dict/training.h"
#include "kite/protocol/trained_dictionary.h"

using namespace kite::dict;

namespace {

// Two sensors' readings in one message: about 90 bytes, above kited's 48-byte threshold for
// compressing with a dictionary and below its 256 bytes for compressing without.
std::vector<std::string> readings(int n, int first = 0) {
  std::vector<std::string> out;
  for (int i = first; i < first + n; ++i)
    out.push_back("[" + kite::test::sensor_reading(i) + "," +
                  kite::test::sensor_reading(i * 3 + 1) + "]");
  return out;
}

TrainingOptions options(std::uint16_t id, std::size_t max_bytes = 4096) {
  TrainingOptions o;
  o.id = id;
  o.max_bytes = max_bytes;
  return o;
}

}  // namespace

TEST_CASE("a dictionary trained on readings carries its id and fits its size") {
  auto trained = train(readings(2000), options(4242));
  REQUIRE(trained.error == "");
  CHECK(kite::protocol::dictionary_id(trained.bytes) == 4242);
  CHECK(trained.bytes.size() <= 4096);
  CHECK(trained.bytes.size() > 256);
}

TEST_CASE("too little to learn from is refused before zstd sees it") {
  SUBCASE("fewer than 10 payloads") {
    auto trained = train(readings(9), options(1));
    CHECK(trained.error.find("only 9 payloads of ") == 0);
    CHECK(trained.error.find("record more traffic") != std::string::npos);
  }
  SUBCASE("ten 1-byte payloads (zstd 1.5.4 would divide by zero on them)") {
    std::vector<std::string> tiny(10, "x");
    auto trained = train(tiny, options(1));
    CHECK(trained.error.find("only 10 payloads of 10 bytes to train a 4096-byte dictionary") == 0);
    CHECK(trained.error.find("--max-size") != std::string::npos);
  }
  SUBCASE("fewer bytes than the dictionary's size") {
    auto trained = train(readings(20), options(1, 16384));
    CHECK(trained.error.find("-byte dictionary on") != std::string::npos);
  }
  SUBCASE("empty payloads do not count") {
    std::vector<std::string> empty(50, "");
    CHECK(train(empty, options(1)).error.find("only 0 payloads") == 0);
  }
  SUBCASE("id 0") {
    CHECK(train(readings(2000), options(0)).error == "the dictionary id must be from 1 to 65535");
  }
}

TEST_CASE("the gain is measured as kited sends messages: small ones go alone as they are") {
  auto trained = train(readings(2000), options(7));
  REQUIRE(trained.error == "");
  kite::protocol::CompressionSettings kited;  // thresholds 256 alone, 48 with a dictionary
  const auto held_out = readings(200, 50'000);
  Gain gain = measure(held_out, trained.bytes, kited);
  CHECK(gain.bodies == 200);
  CHECK(gain.without == gain.bytes);  // every reading is under 256 bytes: sent as it is
  CHECK(gain.ratio_without() == doctest::Approx(1.0));
  CHECK(gain.ratio_with() > 1.5);

  kited.threshold = 0;  // zstd alone on every reading: a little smaller, far from the dictionary
  Gain forced = measure(held_out, trained.bytes, kited);
  CHECK(forced.without <= forced.bytes);
  CHECK(forced.with_dictionary < forced.without);
}

TEST_CASE("samples split: repeats dropped, one in ten held out from 100 distinct on") {
  auto few = readings(99);
  few.push_back(few[0]);  // a repeat
  Split small = split_samples(few);
  CHECK(small.duplicates == 1);
  CHECK_FALSE(small.measured_apart);
  CHECK(small.training.size() == 99);
  CHECK(small.held_out.size() == 99);

  Split split = split_samples(readings(1000));
  CHECK(split.measured_apart);
  CHECK(split.duplicates == 0);
  CHECK(split.training.size() == 900);
  CHECK(split.held_out.size() == 100);
  for (const auto& sample : split.held_out)
    CHECK(std::find(split.training.begin(), split.training.end(), sample) == split.training.end());
}
