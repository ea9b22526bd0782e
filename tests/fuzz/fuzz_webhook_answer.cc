// Fuzzes the reader of a webhook receiver's answer (server/webhooks/answer_reader.h): a stranger's
// server answers, so any bytes may come back, split anywhere.
//
//   the input's first byte sets where the bytes are split (each piece is 1 to 64 bytes, from a
//   simple generator seeded with it); the rest is the answer; the end of input is a close
//
// Checked: no crash (ASan/UBSan); once complete the status is in 100..599 and later
// bytes change nothing; a Bad answer says why and has no status; splitting the same bytes
// differently gives the same state and status as feeding them whole.
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "webhooks/answer_reader.h"

using kite::server::webhooks::AnswerReader;

namespace {

// Feeds `bytes` in pieces picked by `seed`, then the close; the final state.
AnswerReader::State read_split(std::string_view bytes, std::uint8_t seed, AnswerReader& reader) {
  std::uint32_t random = seed | 1u;
  while (!bytes.empty() && reader.state() == AnswerReader::State::Partial) {
    random = random * 1103515245u + 12345u;
    const std::size_t piece = std::min<std::size_t>(bytes.size(), 1 + (random >> 16) % 64);
    reader.feed(bytes.data(), piece);
    bytes.remove_prefix(piece);
  }
  return reader.feed(bytes.data(), 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data) + 1, size - 1);
  AnswerReader split, whole;
  const auto split_state = read_split(bytes, data[0], split);
  whole.feed(bytes.data(), bytes.size());
  const auto whole_state = whole.feed(bytes.data(), 0);
  KITE_FUZZ_CHECK(split_state == whole_state);
  KITE_FUZZ_CHECK(split.status() == whole.status());
  if (split_state == AnswerReader::State::Complete) {
    KITE_FUZZ_CHECK(split.status() >= 100 && split.status() <= 599);
    KITE_FUZZ_CHECK(split.feed("HTTP/1.1 200 OK\r\n\r\n", 19) == AnswerReader::State::Complete);
  } else {
    KITE_FUZZ_CHECK(split_state == AnswerReader::State::Bad);
    KITE_FUZZ_CHECK(split.status() == 0);
    KITE_FUZZ_CHECK(!split.error().empty());
  }
  return 0;
}
