// Fuzzes the QoS 0 message one kited node forwards to another over Redis
// (server/cluster/forwarded_message.h): the input is the channel message.
//
// Checked: no crash (ASan/UBSan); a decoded message has a device id and views inside the input,
// and encoding it again gives the input back byte for byte; a refused input leaves `out` alone.
#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/forwarded_message.h"
#include "fuzz_check.h"

using kite::server::cluster::ForwardedMessage;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ForwardedMessage message;
  message.device = "untouched";
  if (!kite::server::cluster::decode_forwarded(text, message)) {
    KITE_FUZZ_CHECK(message.device == "untouched");
    return 0;
  }
  KITE_FUZZ_CHECK(!message.device.empty());
  KITE_FUZZ_CHECK(inside(message.device, text) && inside(message.topic, text) &&
                  inside(message.content_type, text) && inside(message.payload, text));
  KITE_FUZZ_CHECK(kite::server::cluster::encode_forwarded(message) == text);
  return 0;
}
