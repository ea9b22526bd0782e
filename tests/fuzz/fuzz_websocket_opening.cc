// Fuzzes both ends of the WebSocket opening: kited's entry layer (server/websocket/entry_layer.h:
// one HTTP request through the admin port's parser, then a WebSocket, the HTTP fallback's stream
// or a tunnel's POST) and a client's (protocol/websocket: the answer's head, response_head.h),
// fed in chunks of any size.
//
//   input: byte 0 picks the end (even: kited reads a request, odd: a client reads an answer),
//   byte 1 seeds the chunk sizes, the rest is what the peer sent
//
// Checked: no crash (ASan/UBSan); `used` never exceeds what was fed; the outcome is the same fed
// whole and in chunks (a refusal's status may differ); kited answers exactly once: a 101 when a
// WebSocket opens, a 200 event stream naming a tunnel when a stream opens, a 200 naming a polled
// tunnel, nothing yet (the tunnel's worker answers) when a POST or a poll is routed, a POST with
// at most 64 KiB of body, and a 4xx/5xx with a problem body when it refuses
// (or a preflight's 204); a client never opens on this input (its key is fresh, so no fuzzed
// answer can carry the accept value for it) and says why it refused.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_check.h"
#include "kite/websocket/client_opening.h"
#include "websocket/entry_layer.h"
#include "websocket/tunnel.h"

namespace {

namespace ws = kite::websocket;
using kite::server::websocket::EntryLayer;
using kite::server::websocket::TunnelUplink;
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

// What kited's entry layer made of a request.
struct Entry {
  bool ended = false;      // refused (or a preflight answered)
  bool handed_on = false;  // a WebSocket, a stream or a POST's waiting layer took over
  std::optional<TunnelUplink> routed;
  bool polled = false;  // a poll sent to its tunnel's worker
  std::string answer;
  std::string why;
};

// The connection's side: it keeps what is routed (once at most), and opens polled tunnels.
struct Host final : kite::server::websocket::TunnelHost {
  std::optional<TunnelUplink> routed;
  bool polled = false;
  void route_uplink(TunnelUplink uplink) override {
    KITE_FUZZ_CHECK(!routed && !polled);
    routed = std::move(uplink);
  }
  std::optional<kite::server::websocket::TunnelName> open_poll_tunnel() override {
    return kite::server::websocket::TunnelName{.connection = 2, .secret = 3};
  }
  void route_poll(kite::server::websocket::TunnelName, std::uint64_t) override {
    KITE_FUZZ_CHECK(!routed && !polled);
    polled = true;
  }
};

Entry enter(std::vector<std::uint8_t> bytes, std::uint32_t seed) {
  static const auto rules = std::make_shared<const UpgradeRules>(
      UpgradeRules{"/kite", {"https://app.example", "http://localhost:8080"}});
  Entry entry;
  Host host;
  EntryLayer layer(rules, 0x0100000000000001, host);
  std::unique_ptr<kite::tls::WireLayer> next;
  const bool whole = seed == 0;
  std::size_t at = 0;
  while (at < bytes.size() && !layer.ended() && !next) {
    seed = seed * 1103515245u + 12345u;
    std::size_t chunk = whole ? bytes.size() : 1 + (seed >> 16) % 64;
    chunk = std::min(chunk, bytes.size() - at);
    layer.receive(std::span(bytes).subspan(at, chunk), nullptr, 0);
    next = layer.take_successor();
    at += chunk;
  }
  std::vector<std::uint8_t> out;
  (next ? *next : static_cast<kite::tls::WireLayer&>(layer)).write({}, out);
  entry.ended = layer.ended();
  entry.handed_on = next != nullptr;
  entry.answer.assign(out.begin(), out.end());
  entry.why = layer.why();
  entry.routed = std::move(host.routed);
  entry.polled = host.polled;
  return entry;
}

void check_server(const std::vector<std::uint8_t>& request, std::uint32_t seed) {
  const Entry whole = enter(request, 0);
  const Entry chunked = enter(request, seed);
  KITE_FUZZ_CHECK(whole.ended == chunked.ended && whole.handed_on == chunked.handed_on);
  KITE_FUZZ_CHECK(!(whole.ended && whole.handed_on));
  KITE_FUZZ_CHECK(whole.routed.has_value() == chunked.routed.has_value());
  KITE_FUZZ_CHECK(whole.polled == chunked.polled);
  const std::string_view status = std::string_view(whole.answer).substr(0, 12);
  // A malformed head may be refused for another of its faults when it comes in pieces (the
  // HTTP parser meets them in another order): a refusal either way, not always the same status.
  if (!whole.ended) KITE_FUZZ_CHECK(status == std::string_view(chunked.answer).substr(0, 12));
  if (!whole.ended && !whole.handed_on) {
    KITE_FUZZ_CHECK(whole.answer.empty() && !whole.routed);
  } else if (whole.polled) {
    KITE_FUZZ_CHECK(whole.answer.empty() && whole.handed_on);  // the tunnel's worker answers
  } else if (whole.routed) {
    KITE_FUZZ_CHECK(whole.answer.empty());  // answered once the tunnel's worker replies
    KITE_FUZZ_CHECK(whole.routed->body.size() <= kite::server::websocket::kMaxUplinkPost);
    KITE_FUZZ_CHECK(whole.routed->body == chunked.routed->body);
  } else if (whole.handed_on) {
    KITE_FUZZ_CHECK(status == "HTTP/1.1 101" || status == "HTTP/1.1 200");
    if (status == "HTTP/1.1 101")
      KITE_FUZZ_CHECK(whole.answer.find("Sec-WebSocket-Protocol: kite.v1\r\n") !=
                      std::string::npos);
    else
      KITE_FUZZ_CHECK(whole.answer.find("\r\n\r\nevent: tunnel\ndata: 0100000000000001") !=
                      std::string::npos);
  } else if (status == "HTTP/1.1 200") {  // a polled tunnel opened: its name, then the end
    KITE_FUZZ_CHECK(whole.answer.ends_with("\r\n\r\n00000000000000020000000000000003\n"));
  } else if (status != "HTTP/1.1 204") {
    KITE_FUZZ_CHECK(status.starts_with("HTTP/1.1 4") || status.starts_with("HTTP/1.1 5"));
    KITE_FUZZ_CHECK(whole.answer.find("application/problem+json") != std::string::npos);
    KITE_FUZZ_CHECK(!whole.why.empty());
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
