// What a server channel does with bytes that are not a proper TLS client: plaintext, garbage,
// oversized or truncated records, and a recorded handshake replayed. It fails with a reason or
// waits for more; it never accepts data it should not, and never crashes.
#include <openssl/err.h>
#include <openssl/sslerr.h>

#include <random>

#include "tls_helpers.h"

using namespace kite;
using namespace kite::test;
using State = tls::TlsChannel::State;

namespace {

std::shared_ptr<const tls::TlsContext> server_context() {
  static auto context = make_context(mtls_server_settings());
  return context;
}

std::shared_ptr<const tls::TlsContext> device_context() {
  return make_context(device_settings(StandardPki::get().device));
}

}  // namespace

TEST_CASE("plaintext to a server channel fails with a clear reason, and nothing is sent back") {
  SUBCASE("an HTTP request") {
    tls::TlsChannel server(server_context());
    CHECK(server.feed(bytes("GET / HTTP/1.1\r\nHost: kited\r\n\r\n")) == State::Failed);
    CHECK(server.failure() == tls::Failure::NotTls);
    CHECK(server.failure_reason() ==
          R"(peer sent plaintext, not TLS (starts "GET / HTTP/1.1\r\n"))");
    CHECK_FALSE(server.has_output());
  }
  SUBCASE("a plaintext Kite frame") {
    tls::TlsChannel server(server_context());
    const Bytes frame = {0x4b, 0x01, 0x00, 0x10, 0x00, 0x00, 0x00, 0x20, 0xff, 0x00};
    CHECK(server.feed(frame) == State::Failed);
    CHECK(server.failure() == tls::Failure::NotTls);
    CHECK(server.failure_reason() ==
          "peer sent plaintext, not TLS (first bytes 4b 01 00 10 00 00 00 20 ff 00)");
  }
  SUBCASE("one byte is enough to tell") {
    tls::TlsChannel server(server_context());
    CHECK(server.feed(bytes("P")) == State::Failed);
    CHECK(server.failure_reason() == R"(peer sent plaintext, not TLS (starts "P"))");
  }
  SUBCASE("a failed channel ignores what follows") {
    tls::TlsChannel server(server_context());
    server.feed(bytes("GET /"));
    Bytes hello;
    tls::TlsChannel client(device_context());
    client.take_all_output(hello);
    CHECK(server.feed(hello) == State::Failed);
    CHECK_FALSE(server.write(bytes("data")));
    Bytes plain;
    CHECK(server.read_all(plain) == 0);
  }
}

TEST_CASE("random garbage behind a TLS record header fails the handshake") {
  std::mt19937 rng(7);
  for (int round = 0; round < 50; ++round) {
    CAPTURE(round);
    Bytes garbage = {0x16, 0x03, 0x01, 0x01, 0x00};  // handshake record, 256 bytes
    for (int i = 0; i < 256; ++i) garbage.push_back(static_cast<std::uint8_t>(rng()));
    tls::TlsChannel server(server_context());
    server.feed(garbage);
    CHECK(server.failed());
    CHECK(server.failure() == tls::Failure::Protocol);
    CHECK_FALSE(server.failure_reason().empty());
    CHECK_FALSE(server.handshake_done());
  }
}

TEST_CASE("a record header announcing more than a record may hold fails at once") {
  tls::TlsChannel server(server_context());
  CHECK(server.feed(Bytes{0x16, 0x03, 0x03, 0xff, 0xff}) == State::Failed);
  CHECK(server.failure_reason() == "TLS error: packet length too long");
}

TEST_CASE("a truncated ClientHello waits for the rest, then completes") {
  tls::TlsChannel client(device_context());
  tls::TlsChannel server(server_context());
  Bytes hello;
  client.take_all_output(hello);
  std::size_t half = hello.size() / 2;
  CHECK(server.feed(std::span(hello).first(half)) == State::Handshaking);
  CHECK_FALSE(server.has_output());
  CHECK(server.feed(std::span(hello).subspan(half)) == State::Handshaking);
  CHECK(server.has_output());  // ServerHello...Finished
}

TEST_CASE("a garbage record after the handshake fails the read, not the process") {
  ChannelPair pair = connect(device_context(), server_context());
  REQUIRE(pair.both_open());
  Bytes record = {0x17, 0x03, 0x03, 0x00, 0x20};  // application data, 32 bytes of nonsense
  record.resize(record.size() + 32, 0xab);
  pair.server.feed(record);
  Bytes plain;
  CHECK(pair.server.read_all(plain) == 0);
  CHECK(pair.server.failed());
  CHECK(pair.server.failure_reason() == "TLS error: decryption failed or bad record mac");
  CHECK(pair.server.has_output());  // the bad_record_mac alert
}

TEST_CASE("a recorded handshake replayed to a fresh server channel does not complete") {
  auto client = device_context();
  SUBCASE("full handshake") {}
  SUBCASE("resumed handshake") {
    ChannelPair earlier = connect(client, server_context());  // leaves a ticket
    REQUIRE(earlier.both_open());
  }
  ChannelPair original = connect(client, server_context());
  REQUIRE(original.both_open());
  REQUIRE(original.client.write(bytes("open the door")));
  original.pump();
  REQUIRE(text(original.server_received) == "open the door");
  REQUIRE(original.client_sent.size() >= 2);  // ClientHello, then the client's second flight

  tls::TlsChannel replay(server_context());
  Bytes accepted;
  for (const Bytes& chunk : original.client_sent) {
    replay.feed(chunk);
    replay.read_all(accepted);
  }
  CHECK_FALSE(replay.handshake_done());
  CHECK(replay.failed());
  CHECK(accepted.empty());
  CHECK(replay.peer_identity().empty());
}

TEST_CASE("a failure leaves nothing on the thread's OpenSSL error queue") {
  tls::TlsChannel server(server_context());
  server.feed(Bytes{0x16, 0x03, 0x03, 0xff, 0xff});
  REQUIRE(server.failed());
  CHECK(ERR_peek_error() == 0);

  ChannelPair refused =
      connect(make_context(device_settings(StandardPki::get().device_expired)), server_context());
  REQUIRE(refused.server.failed());
  CHECK(ERR_peek_error() == 0);

  // And an error someone else left on the queue does not fail a healthy channel.
  ERR_raise(ERR_LIB_SSL, SSL_R_BAD_LENGTH);
  ChannelPair healthy = connect(device_context(), server_context());
  CHECK(healthy.both_open());
}
