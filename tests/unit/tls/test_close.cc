// Closing: close_notify reaches the peer as State::Closed; writes stop after close(); moving a
// live channel keeps the connection going.
#include "tls_helpers.h"

using namespace kite;
using namespace kite::test;
using State = tls::TlsChannel::State;

namespace {

ChannelPair open_pair() {
  auto& pki = StandardPki::get();
  ChannelPair pair =
      connect(make_context(client_settings()), make_context(server_settings(pki.server_p256)));
  REQUIRE(pair.both_open());
  return pair;
}

}  // namespace

TEST_CASE("the client's close_notify is seen by the server") {
  ChannelPair pair = open_pair();
  REQUIRE(pair.client.write(bytes("last words")));
  pair.client.close();
  CHECK_FALSE(pair.client.write(bytes("more")));
  pair.pump();
  CHECK(text(pair.server_received) == "last words");  // data before close_notify arrives whole
  CHECK(pair.server.state() == State::Closed);
  CHECK_FALSE(pair.server.failed());
  CHECK(pair.server.handshake_done());
}

TEST_CASE("the server's close_notify is seen by the client") {
  ChannelPair pair = open_pair();
  pair.server.close();
  pair.pump();
  CHECK(pair.client.state() == State::Closed);
  // Answering it is the caller's move.
  pair.client.close();
  CHECK(pair.client.has_output());
}

TEST_CASE("close() before the handshake is done sends nothing and refuses writes") {
  auto& pki = StandardPki::get();
  tls::TlsChannel server(make_context(server_settings(pki.server_p256)));
  server.close();
  CHECK_FALSE(server.has_output());
  CHECK_FALSE(server.write(bytes("x")));
}

TEST_CASE("a channel moved mid-connection carries on") {
  ChannelPair pair = open_pair();
  tls::TlsChannel moved = std::move(pair.server);
  REQUIRE(pair.client.write(bytes("to the moved channel")));
  Bytes wire;
  pair.client.take_all_output(wire);
  moved.feed(wire);
  Bytes plain;
  moved.read_all(plain);
  CHECK(text(plain) == "to the moved channel");
  pair.server = std::move(moved);  // and back
  CHECK(pair.server.state() == State::Open);
}
