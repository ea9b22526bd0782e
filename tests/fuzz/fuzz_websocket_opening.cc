// Fuzzes both ends of the WebSocket opening: kited's (server/websocket/server_opening.h, the
// upgrade request through the HTTP parser) and a client's (protocol/websocket: the answer's
// head, response_head.h), fed in chunks of any size.
//
//   input: byte 0 picks the end (even: kited reads a request, odd: a client reads an answer),
//   byte 1 seeds the chunk sizes, the rest is what the peer sent
//
// Checked: no crash (ASan/UBSan); `used` never exceeds what was fed; the step is the same fed
// whole and in chunks; kited answers exactly once, with a 101 when it opens and a 4xx/5xx with a
// problem body when it refuses; a client never opens on this input (its key is fresh, so no
// fuzzed answer can carry the accept value for it) and says why it refused.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "kite/websocket/client_opening.h"
#include "websocket/server_opening.h"

namespace {

namespace ws = kite::websocket;
using kite::server::websocket::ServerOpening;
using kite::server::websocket::UpgradeRules;
using Step = ws::Opening::Step;

struct Outcome {
  Step step = Step::More;
  std::string answer;
};

Outcome feed(ws::Opening& opening, const std::vector<std::uint8_t>& bytes, std::uint32_t seed) {
  const bool whole = seed == 0;
  Outcome outcome;
  std::vector<std::uint8_t> out;
  std::size_t at = 0;
  while (at < bytes.size() && outcome.step == Step::More) {
    seed = seed * 1103515245u + 12345u;
    std::size_t chunk = whole ? bytes.size() : 1 + (seed >> 16) % 64;
    if (chunk > bytes.size() - at) chunk = bytes.size() - at;
    std::size_t used = 0;
    outcome.step = opening.receive(std::span(bytes).subspan(at, chunk), used, out);
    KITE_FUZZ_CHECK(used <= chunk);
    KITE_FUZZ_CHECK(outcome.step != Step::More || used == chunk);
    at += chunk;
  }
  outcome.answer.assign(out.begin(), out.end());
  return outcome;
}

void check_server(const std::vector<std::uint8_t>& request, std::uint32_t seed) {
  static const auto rules = std::make_shared<const UpgradeRules>(
      UpgradeRules{"/kite", {"https://app.example", "http://localhost:8080"}});
  ServerOpening whole_opening(rules), chunked_opening(rules);
  const Outcome whole = feed(whole_opening, request, 0);
  const Outcome chunked = feed(chunked_opening, request, seed);
  KITE_FUZZ_CHECK(whole.step == chunked.step);
  if (whole.step == Step::More) {
    KITE_FUZZ_CHECK(whole.answer.empty());
    return;
  }
  const std::string_view status = std::string_view(whole.answer).substr(0, 12);
  KITE_FUZZ_CHECK(status == std::string_view(chunked.answer).substr(0, 12));
  if (whole.step == Step::Open) {
    KITE_FUZZ_CHECK(status == "HTTP/1.1 101");
    KITE_FUZZ_CHECK(whole.answer.find("Sec-WebSocket-Protocol: kite.v1\r\n") != std::string::npos);
  } else {
    KITE_FUZZ_CHECK(status.starts_with("HTTP/1.1 4") || status.starts_with("HTTP/1.1 5"));
    KITE_FUZZ_CHECK(whole.answer.find("application/problem+json") != std::string::npos);
    KITE_FUZZ_CHECK(!whole_opening.failure().empty());
  }
}

void check_client(const std::vector<std::uint8_t>& answer, std::uint32_t seed) {
  ws::ClientOpening whole_opening({"kite.example", "/kite", {}});
  ws::ClientOpening chunked_opening({"kite.example", "/kite", {}});
  const Outcome whole = feed(whole_opening, answer, 0);
  const Outcome chunked = feed(chunked_opening, answer, seed);
  KITE_FUZZ_CHECK(whole.step == chunked.step);
  KITE_FUZZ_CHECK(whole.step != Step::Open && whole.answer.empty());
  if (whole.step == Step::Refused) KITE_FUZZ_CHECK(!whole_opening.failure().empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::vector<std::uint8_t> bytes(data + 2, data + size);
  if (data[0] % 2 == 0)
    check_server(bytes, data[1] | 1u);
  else
    check_client(bytes, data[1] | 1u);
  return 0;
}
