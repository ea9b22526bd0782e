// Handshakes and data: TLS 1.3 with P-256 and RSA certificates, TLS 1.2 only when allowed, any
// split of the handshake bytes, large writes and small read buffers.
#include "tls_helpers.h"

using namespace kite;
using namespace kite::test;
using State = tls::TlsChannel::State;

namespace {

Bytes pattern(std::size_t size) {
  Bytes data(size);
  for (std::size_t i = 0; i < size; ++i) data[i] = static_cast<std::uint8_t>(i * 31 + 7);
  return data;
}

void check_data_both_ways(ChannelPair& pair) {
  REQUIRE(pair.client.write(bytes("hello from the device")));
  REQUIRE(pair.server.write(bytes("hello from kited")));
  pair.pump();
  CHECK(text(pair.server_received) == "hello from the device");
  CHECK(text(pair.client_received) == "hello from kited");

  // Larger than a record (16 KiB) both ways.
  Bytes big = pattern(100'000);
  pair.server_received.clear();
  pair.client_received.clear();
  REQUIRE(pair.client.write(big));
  REQUIRE(pair.server.write(big));
  pair.pump();
  CHECK(pair.server_received == big);
  CHECK(pair.client_received == big);
}

}  // namespace

TEST_CASE("TLS 1.3 handshake with a P-256 certificate, then data both ways") {
  auto& pki = StandardPki::get();
  ChannelPair pair =
      connect(make_context(client_settings()), make_context(server_settings(pki.server_p256)));
  REQUIRE(pair.both_open());
  CHECK(pair.client.handshake_done());
  CHECK(pair.server.handshake_done());
  CHECK(pair.client.version() == "TLSv1.3");
  CHECK(pair.server.version() == "TLSv1.3");
  CHECK(pair.server.cipher() == "TLS_AES_128_GCM_SHA256");
  CHECK_FALSE(pair.client.resumed());
  CHECK(pair.server.peer_identity().empty());  // no client certificate asked for
  CHECK(pair.server.peer_certificate().empty());
  CHECK_FALSE(pair.client.peer_certificate().empty());  // the server's
  check_data_both_ways(pair);
}

TEST_CASE("TLS 1.3 handshake with an RSA-2048 certificate, then data both ways") {
  auto& pki = StandardPki::get();
  ChannelPair pair =
      connect(make_context(client_settings()), make_context(server_settings(pki.server_rsa)));
  REQUIRE(pair.both_open());
  CHECK(pair.client.version() == "TLSv1.3");
  check_data_both_ways(pair);
}

TEST_CASE("a client channel has its ClientHello ready at once; the server has nothing to say") {
  auto& pki = StandardPki::get();
  tls::TlsChannel client(make_context(client_settings()));
  tls::TlsChannel server(make_context(server_settings(pki.server_p256)));
  CHECK(client.has_output());
  CHECK(client.output_size() > 100);
  CHECK_FALSE(server.has_output());
  CHECK(client.state() == State::Handshaking);
  CHECK_FALSE(client.write(bytes("too early")));  // refused before the handshake is done
}

TEST_CASE("the handshake completes whatever way its bytes are cut") {
  auto& pki = StandardPki::get();
  auto client_context = make_context(device_settings(pki.device));
  auto server_context = make_context(mtls_server_settings());
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{5}, std::size_t{7},
                            std::size_t{100}, std::size_t{1000}}) {
    CAPTURE(chunk);
    ChannelPair pair(client_context, server_context);
    pair.pump(chunk);
    REQUIRE(pair.both_open());
    CHECK(pair.server.peer_identity() == "device-42");
    REQUIRE(pair.client.write(pattern(40'000)));
    pair.pump(chunk);
    CHECK(pair.server_received == pattern(40'000));
  }
}

TEST_CASE("read() into a small buffer hands out a record over several calls") {
  auto& pki = StandardPki::get();
  ChannelPair pair =
      connect(make_context(client_settings()), make_context(server_settings(pki.server_p256)));
  REQUIRE(pair.client.write(pattern(5000)));
  Bytes wire;
  pair.client.take_all_output(wire);
  pair.server.feed(wire);
  Bytes received;
  std::uint8_t buffer[300];
  while (std::size_t n = pair.server.read(buffer))
    received.insert(received.end(), buffer, buffer + n);
  CHECK(received == pattern(5000));
  CHECK(pair.server.state() == State::Open);
}

TEST_CASE("take_output() into a fixed buffer moves the ciphertext in pieces") {
  auto& pki = StandardPki::get();
  ChannelPair pair =
      connect(make_context(client_settings()), make_context(server_settings(pki.server_p256)));
  REQUIRE(pair.client.write(pattern(3000)));
  std::size_t waiting = pair.client.output_size();
  std::uint8_t buffer[512];
  std::size_t moved = 0;
  while (std::size_t n = pair.client.take_output(buffer)) {
    moved += n;
    pair.server.feed(std::span(buffer, n));
  }
  CHECK(moved == waiting);
  Bytes received;
  pair.server.read_all(received);
  CHECK(received == pattern(3000));
}

TEST_CASE("TLS 1.2 is negotiated only when the server's minimum allows it") {
  auto& pki = StandardPki::get();
  tls::TlsSettings old_client = client_settings();
  old_client.min_version = tls::TlsVersion::V1_2;
  old_client.max_version = tls::TlsVersion::V1_2;
  auto old_client_context = make_context(old_client);

  SUBCASE("minimum 1.2: the 1.2-only client gets TLS 1.2") {
    tls::TlsSettings server = server_settings(pki.server_p256);
    server.min_version = tls::TlsVersion::V1_2;
    ChannelPair pair = connect(old_client_context, make_context(server));
    REQUIRE(pair.both_open());
    CHECK(pair.client.version() == "TLSv1.2");
    CHECK(pair.server.cipher() == "ECDHE-ECDSA-AES128-GCM-SHA256");
    check_data_both_ways(pair);
  }
  SUBCASE("minimum 1.2: a 1.3 client still gets TLS 1.3") {
    tls::TlsSettings server = server_settings(pki.server_rsa);
    server.min_version = tls::TlsVersion::V1_2;
    ChannelPair pair = connect(make_context(client_settings()), make_context(server));
    REQUIRE(pair.both_open());
    CHECK(pair.client.version() == "TLSv1.3");
  }
  SUBCASE("minimum 1.3 (the default): the 1.2-only client is refused") {
    ChannelPair pair = connect(old_client_context, make_context(server_settings(pki.server_p256)));
    CHECK(pair.server.failed());
    CHECK(pair.server.failure() == tls::Failure::Protocol);
    CHECK(std::string(pair.server.failure_reason()).find("no TLS version in common") !=
          std::string::npos);
    CHECK(pair.client.failed());
    CHECK(pair.client.failure() == tls::Failure::AlertReceived);
    CHECK(pair.client.failure_reason() == "server sent alert: protocol version");
    CHECK_FALSE(pair.server.handshake_done());
  }
}

TEST_CASE("memory grown by a burst is given back once the burst is drained") {
  auto& pki = StandardPki::get();
  ChannelPair pair =
      connect(make_context(client_settings()), make_context(server_settings(pki.server_p256)));
  const std::size_t idle = pair.server.buffer_capacity();
  CHECK(idle < 64 * 1024);

  // 256 KiB in: fed at once, as a socket read of that size would be, then read.
  REQUIRE(pair.client.write(pattern(256 * 1024)));
  Bytes wire;
  pair.client.take_all_output(wire);
  pair.server.feed(wire);
  CHECK(pair.server.buffer_capacity() > 256 * 1024);  // the fed ciphertext is held until read
  Bytes received;
  pair.server.read_all(received);
  CHECK(received == pattern(256 * 1024));
  CHECK(pair.server.buffer_capacity() < 64 * 1024);

  // 256 KiB out: written at once, then taken.
  REQUIRE(pair.server.write(pattern(256 * 1024)));
  CHECK(pair.server.buffer_capacity() > 256 * 1024);
  wire.clear();
  pair.server.take_all_output(wire);
  CHECK(pair.server.buffer_capacity() < 64 * 1024);

  // The channel still works after its BIOs were replaced.
  pair.client.feed(wire);
  received.clear();
  pair.client.read_all(received);
  CHECK(received == pattern(256 * 1024));
  REQUIRE(pair.server.write(bytes("still here")));
  pair.pump();
  CHECK(text(pair.client_received) == "still here");
}
