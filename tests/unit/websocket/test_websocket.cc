// The WebSocket layer (protocol/websocket): the accept value of RFC 6455's example, frames
// written by one end read back by the other in any split, a client's opening against answers
// right and wrong, and the response head reader's limits.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "kite/websocket/client_opening.h"
#include "kite/websocket/frame_writer.h"
#include "kite/websocket/handshake.h"
#include "kite/websocket/response_head.h"

namespace ws = kite::websocket;

namespace {

struct Collected : ws::FrameSink {
  std::vector<std::uint8_t> binary;
  std::vector<std::string> pings;
  std::uint16_t close_code = 0;
  std::string close_reason;
  void on_binary(std::span<std::uint8_t> payload) override {
    binary.insert(binary.end(), payload.begin(), payload.end());
  }
  void on_ping(std::span<const std::uint8_t> p) override { pings.emplace_back(p.begin(), p.end()); }
  void on_close(std::uint16_t code, std::string_view reason) override {
    close_code = code;
    close_reason = reason;
  }
};

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

TEST_CASE("the accept value is RFC 6455's example; keys are base64 of 16 bytes") {
  CHECK(ws::accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
  CHECK(ws::valid_key(ws::new_key()));
  CHECK_FALSE(ws::valid_key("dGhlIHNhbXBsZSBub25jZQ"));    // unpadded
  CHECK_FALSE(ws::valid_key("dGhlIHNhbXBsZSBub25jZXg="));  // 17 bytes
  CHECK(ws::lists_token("keep-alive, Upgrade", "upgrade"));
  CHECK_FALSE(ws::lists_token("upgraded", "upgrade"));
  CHECK(ws::basic_authorization("Aladdin", "open sesame") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
}

TEST_CASE("frames a client writes are read back by a server in any split, lengths of all sizes") {
  for (std::size_t size : {0u, 1u, 125u, 126u, 65535u, 65536u, 100000u}) {
    CAPTURE(size);
    std::vector<std::uint8_t> payload(size);
    for (std::size_t i = 0; i < size; ++i) payload[i] = static_cast<std::uint8_t>(i * 7);
    std::vector<std::uint8_t> stream;
    ws::append_frame(ws::Side::Client, ws::Opcode::Binary, payload, stream);
    ws::append_frame(ws::Side::Client, ws::Opcode::Ping, bytes_of("hi"), stream);
    ws::append_close(ws::Side::Client, 4061, "Replaced", stream);
    for (std::size_t chunk : {1u, 3u, 1000u, 1u << 20}) {
      std::vector<std::uint8_t> copy = stream;
      ws::FrameReader reader(ws::Side::Server);
      Collected seen;
      for (std::size_t at = 0; at < copy.size(); at += chunk)
        REQUIRE_FALSE(
            reader.read(std::span(copy).subspan(at, std::min(chunk, copy.size() - at)), seen));
      CHECK(seen.binary == payload);
      CHECK(seen.pings == std::vector<std::string>{"hi"});
      CHECK(seen.close_code == 4061);
      CHECK(seen.close_reason == "Replaced");
      CHECK(reader.closed());
    }
  }
}

TEST_CASE("a close reason is cut at 123 bytes, at a character boundary") {
  std::string reason(120, 'a');
  reason += "\xc3\xa9\xc3\xa9";  // two 2-byte characters: only the first fits
  std::vector<std::uint8_t> stream;
  ws::append_close(ws::Side::Server, 1000, reason, stream);
  ws::FrameReader reader(ws::Side::Client);
  Collected seen;
  REQUIRE_FALSE(reader.read(stream, seen));
  CHECK(seen.close_reason == std::string(120, 'a') + "\xc3\xa9");
}

TEST_CASE("a client's opening checks every part of the 101") {
  ws::ClientOpening opening({"kite.example:443", "/kite", "https://app.example"});
  std::vector<std::uint8_t> request;
  opening.start(request);
  const std::string text(request.begin(), request.end());
  CHECK(text.starts_with("GET /kite HTTP/1.1\r\nHost: kite.example:443\r\n"));
  CHECK(text.find("Sec-WebSocket-Protocol: kite.v1\r\n") != std::string::npos);
  CHECK(text.find("Origin: https://app.example\r\n") != std::string::npos);
  const std::size_t at = text.find("Sec-WebSocket-Key: ") + 19;
  const std::string key = text.substr(at, 24);
  const std::string good =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
      "Connection: Upgrade\r\nSec-WebSocket-Accept: " +
      ws::accept_key(key) + "\r\nSec-WebSocket-Protocol: kite.v1\r\n\r\n";
  std::size_t used = 0;
  std::vector<std::uint8_t> out;
  SUBCASE("right, with a frame after it") {
    const std::string with_frame = good + "\x82";
    CHECK(opening.receive(bytes_of(with_frame), used, out) == ws::Opening::Step::Open);
    CHECK(used == good.size());
  }
  SUBCASE("another accept value") {
    std::string wrong = good;
    wrong.replace(wrong.find("Accept: ") + 8, 4, "AAAA");
    CHECK(opening.receive(bytes_of(wrong), used, out) == ws::Opening::Step::Refused);
    CHECK(std::string(opening.failure()).find("Sec-WebSocket-Accept") != std::string::npos);
  }
  SUBCASE("a refusal") {
    CHECK(opening.receive(bytes_of("HTTP/1.1 403 Forbidden\r\n\r\n"), used, out) ==
          ws::Opening::Step::Refused);
    CHECK(std::string(opening.failure()).find("403 Forbidden") != std::string::npos);
  }
  SUBCASE("no subprotocol") {
    std::string none = good;
    none.erase(none.find("Sec-WebSocket-Protocol"), 33);
    CHECK(opening.receive(bytes_of(none), used, out) == ws::Opening::Step::Refused);
  }
}

TEST_CASE("a response head is read in pieces, and one above 8 KiB is refused") {
  ws::ResponseHead head;
  std::size_t used = 0;
  const std::string text = "HTTP/1.1 200 Connection established\r\nX-A: 1\r\n\r\nrest";
  for (std::size_t i = 0; i + 1 < text.size() - 4; ++i) {
    REQUIRE(head.feed(bytes_of(text.substr(i, 1)), used) == ws::ResponseHead::Step::More);
  }
  CHECK(head.feed(bytes_of(text.substr(text.size() - 5)), used) == ws::ResponseHead::Step::Done);
  CHECK(used == 1);
  CHECK(head.status() == 200);
  REQUIRE(head.header("x-a"));
  CHECK(*head.header("x-a") == "1");
  ws::ResponseHead endless;
  const std::string big = "HTTP/1.1 200 OK\r\nX: " + std::string(9000, 'x');
  CHECK(endless.feed(bytes_of(big), used) == ws::ResponseHead::Step::Bad);
  CHECK(std::string(endless.error()).find("8 KiB") != std::string::npos);
}
