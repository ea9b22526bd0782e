// Fuzzes the device SDK's session file reader (client-sdk/src/session_codec.h). The first byte
// chooses: even, the rest is a whole file as found on disk; odd, the rest is a body, sealed with
// a valid header and digest first, so that the body's parser is reached (a random file almost
// never has a matching digest).
//
// Checked: a file that reads back is the canonical encoding of what it read (encoding it again
// gives the same bytes), and its entries' seqs are below the next uplink seq; the other way
// round, a session made of the input's bytes (entries of every small size) is written and read
// back the same.
#include <cstddef>
#include <cstdint>
#include <span>

#include "fuzz_common.h"
#include "session_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kite;
  if (size == 0) return 0;
  std::span<const std::uint8_t> rest(data + 1, size - 1);
  std::vector<std::uint8_t> file = (data[0] & 1) != 0
                                       ? sdk::seal_session_body(rest)
                                       : std::vector<std::uint8_t>(rest.begin(), rest.end());
  sdk::SavedSession saved;
  if (sdk::decode_session(file, saved).empty()) {
    KITE_FUZZ_CHECK(sdk::encode_session(saved) == file);
    for (const auto& entry : saved.entries) KITE_FUZZ_CHECK(entry.seq < saved.next_uplink_seq);
  }
  // Encoding then decoding: each input byte sets one entry's sizes and kind.
  sdk::SavedSession made;
  made.device_id = "d";
  made.next_uplink_seq = rest.size() + 1;
  for (std::size_t i = 0; i < rest.size() && i < 64; ++i) {
    const std::uint8_t b = rest[i];
    made.entries.push_back({(b & 1) != 0, (b & 1) != 0 ? i + 1 : 0, b, b, std::string(b & 3, 't'),
                            std::string((b >> 2) & 3, 'c'), std::string(b >> 4, 'p')});
  }
  sdk::SavedSession again;
  KITE_FUZZ_CHECK(sdk::decode_session(sdk::encode_session(made), again).empty());
  KITE_FUZZ_CHECK(again.entries.size() == made.entries.size());
  return 0;
}
