// The HTTP fallback's event stream (server/websocket/sse_layer.h): the answer's head and the
// tunnel event first, each session write one base64 event, the session's reason last; and the
// uplink taken once, in order, at the offset the stream has reached.
#include <sodium.h>

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "websocket/sse_layer.h"

namespace kite::server::websocket {
namespace {

const TunnelName kName{.connection = 0x0100000002000003, .secret = 0xa1b2c3d4e5f60718};

std::string written(SseLayer& layer, std::string_view session_bytes = {}) {
  std::vector<std::uint8_t> out;
  layer.write({reinterpret_cast<const std::uint8_t*>(session_bytes.data()), session_bytes.size()},
              out);
  return {out.begin(), out.end()};
}

TEST_CASE("the stream starts with the answer's head and the tunnel's name") {
  SseLayer layer("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n", kName);
  CHECK(layer.open());
  CHECK(layer.has_output());
  CHECK(written(layer) ==
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n"
        "event: tunnel\ndata: 0100000002000003a1b2c3d4e5f60718\n\n");
  CHECK_FALSE(layer.has_output());
  CHECK(TunnelName::parse("0100000002000003a1b2c3d4e5f60718")->secret == kName.secret);
  CHECK_FALSE(TunnelName::parse("0100000002000003a1b2c3d4e5f6071"));
  CHECK_FALSE(TunnelName::parse("0100000002000003a1b2c3d4e5f6071g"));
  CHECK_FALSE(TunnelName::parse("+100000002000003a1b2c3d4e5f60718"));
}

TEST_CASE("each session write is one base64 event; the session's reason closes the stream") {
  REQUIRE(sodium_init() >= 0);
  SseLayer layer("HTTP/1.1 200 OK\r\n", kName);
  written(layer);
  CHECK(written(layer, std::string("\x00\x01\xff kite", 8)) == "data: AAH/IGtpdGU=\n\n");
  CHECK(written(layer).empty());
  layer.end(protocol::Reason::ServerShutdown);
  CHECK(layer.has_output());
  const std::string last = written(layer, "bye");
  CHECK(last.starts_with("data: Ynll\n\nevent: close\ndata: "));
  CHECK(last.ends_with(" ServerShutdown\n\n"));
  CHECK(written(layer, "more").empty());  // nothing after the close event
}

TEST_CASE("uplink bytes are taken once, in order, at the offset reached") {
  SseLayer layer("HTTP/1.1 200 OK\r\n", kName);
  CHECK(layer.accept_uplink(0, 5) == 0u);  // all 5 are new
  CHECK(layer.uplink_bytes() == 5);
  CHECK(layer.accept_uplink(0, 5) == 5u);  // the same POST again: nothing new
  CHECK(layer.accept_uplink(3, 4) == 2u);  // overlaps: bytes 5 and 6 are new
  CHECK(layer.uplink_bytes() == 7);
  CHECK_FALSE(layer.accept_uplink(9, 1));  // bytes 7 and 8 never came
  CHECK(layer.uplink_bytes() == 7);
  CHECK(layer.accept_uplink(7, 0) == 0u);
  CHECK(layer.named(kName));
  CHECK_FALSE(layer.named({.connection = kName.connection, .secret = 1}));
}

TEST_CASE("a byte on the stream's own connection ends the tunnel") {
  SseLayer layer("HTTP/1.1 200 OK\r\n", kName);
  std::vector<std::uint8_t> stray{'G', 'E', 'T'};
  layer.receive(stray, nullptr, 0);
  CHECK(layer.ended());
  CHECK_FALSE(layer.open());
  CHECK(layer.why().find("POST") != std::string::npos);
}

}  // namespace
}  // namespace kite::server::websocket
