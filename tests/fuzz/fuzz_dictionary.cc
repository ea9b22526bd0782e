// Fuzzes the dictionary check kited, the SDK and the tools run on a dictionary file
// (protocol/include/kite/protocol/trained_dictionary.h): the input is the file's bytes.
//
// Checked: no crash (ASan/UBSan); an accepted file has the id its header states, in 1..65535,
// and a body compressed with it decompresses to the same bytes; a refused one leaves the set
// empty and comes with a reason.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "kite/protocol/compression.h"
#include "kite/protocol/trained_dictionary.h"

namespace {

using namespace kite::protocol;

constexpr std::string_view kReading =
    R"({"sensor":"t-12","celsius":19.4,"rssi":-61,"status":"ok","battery_mv":3712})";

void round_trip(const std::shared_ptr<DictionarySet>& set, std::uint16_t id) {
  Compressor compressor(set);
  Decompressor decompressor(set);
  CompressionSettings settings;
  settings.dictionary = id;
  settings.dictionary_threshold = 0;
  settings.back_off = false;
  AlignedBuffer packed, unpacked;
  std::uint16_t used = 0;
  const std::span<const std::uint8_t> body(reinterpret_cast<const std::uint8_t*>(kReading.data()),
                                           kReading.size());
  if (!compressor.compress(body, settings, packed, used)) return;  // did not pay: sent as is
  KITE_FUZZ_CHECK(used == id);
  KITE_FUZZ_CHECK(decompressor.decompress(packed.view(), used, 1 << 16, unpacked) == Reason::None);
  KITE_FUZZ_CHECK(unpacked.size() == body.size());
  KITE_FUZZ_CHECK(std::equal(body.begin(), body.end(), unpacked.view().begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  auto set = std::make_shared<DictionarySet>();
  std::uint16_t id = 0;
  const std::string problem = add_trained_dictionary(*set, bytes, 3, id);
  if (!problem.empty()) {
    KITE_FUZZ_CHECK(set->ids().empty());
    return 0;
  }
  KITE_FUZZ_CHECK(id != 0 && id == dictionary_id(bytes));
  KITE_FUZZ_CHECK(set->ids().size() == 1 && set->ids()[0] == id);
  round_trip(set, id);
  return 0;
}
