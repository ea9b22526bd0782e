// A zstd-format dictionary trained on generated sensor readings, with a chosen id in its header:
// what `kite dict train` writes, made in-process for unit tests.
#pragma once

#include <doctest/doctest.h>
// fastCover's parameters are declared in zstd's "experimental" section; libzstd.so exports them.
#define ZDICT_STATIC_LINKING_ONLY
#include <zdict.h>

#include <cstdint>
#include <string>
#include <vector>

namespace kite::test {

// A reading like the ones the dictionary is trained on (and compresses well).
inline std::string sensor_reading(int i) {
  return R"({"sensor":"t-)" + std::to_string(i % 97) + R"(","celsius":)" +
         std::to_string(15 + i % 11) + "." + std::to_string(i % 10) + R"(,"rssi":-)" +
         std::to_string(40 + i % 37) + "}";
}

inline std::vector<std::uint8_t> trained_dictionary(unsigned id) {
  std::string samples;
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 2000; ++i) {
    std::string s = sensor_reading(i);
    samples += s;
    sizes.push_back(s.size());
  }
  std::vector<std::uint8_t> dictionary(4096);
  ZDICT_fastCover_params_t params{};
  params.k = 50;
  params.d = 8;
  params.zParams.dictID = id;
  params.zParams.compressionLevel = 3;
  std::size_t size =
      ZDICT_trainFromBuffer_fastCover(dictionary.data(), dictionary.size(), samples.data(),
                                      sizes.data(), static_cast<unsigned>(sizes.size()), params);
  REQUIRE_FALSE(ZDICT_isError(size));
  dictionary.resize(size);
  return dictionary;
}

}  // namespace kite::test
