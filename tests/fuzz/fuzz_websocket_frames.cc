// Fuzzes the WebSocket frame reader (protocol/websocket/frame_reader.h), fed as a socket would:
// in chunks of any size, as either end.
//
//   input: byte 0 picks the reading end (even: kited, odd: a client), byte 1 seeds the chunk
//   sizes, the rest is the stream of frames
//
// Checked: no crash (ASan/UBSan); fed whole and fed in random chunks, the reader hands on the
// same binary bytes, the same pings, pongs and Close, and ends with the same fault (or none); a
// control payload is never above 125 bytes; nothing is handed on after a Close or a fault.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "kite/websocket/frame_reader.h"

namespace {

namespace ws = kite::websocket;

struct Seen : ws::FrameSink {
  std::vector<std::uint8_t> binary;
  std::string events;  // "p<payload>" per ping, "o<payload>" per pong, "c<code>:<reason>"
  bool closed = false;
  void on_binary(std::span<std::uint8_t> payload) override {
    KITE_FUZZ_CHECK(!closed && !payload.empty());
    binary.insert(binary.end(), payload.begin(), payload.end());
  }
  void on_ping(std::span<const std::uint8_t> payload) override { control('p', payload); }
  void on_pong(std::span<const std::uint8_t> payload) override { control('o', payload); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    KITE_FUZZ_CHECK(!closed && reason.size() <= 123);
    closed = true;
    events += "c" + std::to_string(code) + ":" + std::string(reason);
  }
  void control(char kind, std::span<const std::uint8_t> payload) {
    KITE_FUZZ_CHECK(!closed && payload.size() <= 125);
    events += kind;
    events.append(payload.begin(), payload.end());
  }
};

struct Outcome {
  Seen seen;
  std::uint16_t fault = 0;
};

// Fed in chunks of 1..40 bytes drawn from `seed`, or all at once when `seed` is 0.
Outcome read(ws::Side side, std::vector<std::uint8_t> bytes, std::uint32_t seed) {
  const bool whole = seed == 0;
  ws::FrameReader reader(side);
  Outcome outcome;
  std::size_t at = 0;
  while (at < bytes.size() && outcome.fault == 0) {
    seed = seed * 1103515245u + 12345u;  // a small LCG: the same chunks for the same input
    std::size_t chunk = whole ? bytes.size() : 1 + (seed >> 16) % 40;
    if (chunk > bytes.size() - at) chunk = bytes.size() - at;
    if (auto fault = reader.read(std::span(bytes).subspan(at, chunk), outcome.seen))
      outcome.fault = fault->code;
    at += chunk;
  }
  KITE_FUZZ_CHECK(reader.closed() == outcome.seen.closed);
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const ws::Side side = data[0] % 2 == 0 ? ws::Side::Server : ws::Side::Client;
  const std::vector<std::uint8_t> stream(data + 2, data + size);
  const Outcome whole = read(side, stream, 0);
  const Outcome chunked = read(side, stream, data[1] | 1u);
  KITE_FUZZ_CHECK(whole.fault == chunked.fault);
  KITE_FUZZ_CHECK(whole.seen.binary == chunked.seen.binary);
  KITE_FUZZ_CHECK(whole.seen.events == chunked.seen.events);
  return 0;
}
