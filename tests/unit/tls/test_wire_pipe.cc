// WirePipe: socket bytes <-> TLS <-> Session, with real sessions and channels in memory.
#include <algorithm>
#include <optional>

#include "kite/protocol/session.h"
#include "kite/tls/wire_pipe.h"
#include "tls_helpers.h"

namespace kite::test {
namespace {

using tls::WireHost;
using tls::WirePipe;

struct QuietHandler final : protocol::SessionHandler {
  void on_message(const protocol::IncomingMessage&) override {}
  void on_close(const protocol::CloseInfo&) override {}
};

// A connection as the pipe sees it: a session (started late, as a client's), and its taps.
struct Host final : WireHost {
  explicit Host(protocol::Role as) : role(as) {}
  protocol::Session* wire_session() override { return session ? &*session : nullptr; }
  void on_tls_established() override {
    ++established;
    if (role == protocol::Role::Client && !session) start();
  }
  void on_plaintext_in(std::span<const std::uint8_t> bytes) override {
    tapped_in.insert(tapped_in.end(), bytes.begin(), bytes.end());
  }
  void on_plaintext_out(std::span<const std::uint8_t> bytes) override {
    tapped_out.insert(tapped_out.end(), bytes.begin(), bytes.end());
  }
  void start() {
    session.emplace(role, protocol::SessionConfig{}, handler, 0);
    if (role == protocol::Role::Client) {
      protocol::ClientCredentials credentials;
      credentials.device_id = "pipe-device";
      session->start(credentials, {}, 0);
    }
  }

  protocol::Role role;
  QuietHandler handler;
  std::optional<protocol::Session> session;
  int established = 0;
  Bytes tapped_in, tapped_out;
};

// Carries `from`'s output into `to` through a socket-sized buffer; true if anything moved.
bool carry(WirePipe& from, Host& from_host, WirePipe& to, Host& to_host,
           WirePipe::Arrival* arrival = nullptr, bool closing = false) {
  Bytes wire;
  from.take_output(from_host.wire_session(), from_host, wire, closing);
  if (wire.empty()) return false;
  Bytes buffer(std::max<std::size_t>(wire.size(), 64 * 1024));
  std::copy(wire.begin(), wire.end(), buffer.begin());
  const auto got = to.receive(buffer, wire.size(), to_host, 0);
  if (arrival) *arrival = got;
  return true;
}

struct TlsPipes {
  Host client_host{protocol::Role::Client}, server_host{protocol::Role::Server};
  WirePipe client{make_context(client_settings())};
  WirePipe server{make_context(server_settings(StandardPki::get().server_p256))};

  TlsPipes() { server_host.start(); }
  void pump() {
    for (int round = 0; round < 20; ++round) {
      bool moved = carry(client, client_host, server, server_host);
      moved |= carry(server, server_host, client, client_host);
      if (!moved) return;
    }
    FAIL("the pipes never went quiet");
  }
};

TEST_CASE("plain TCP: bytes pass both ways untouched, the session's buffer with no copy") {
  Host host(protocol::Role::Client);
  host.start();
  WirePipe pipe(nullptr);
  CHECK_FALSE(pipe.is_tls());
  REQUIRE(pipe.has_output(&*host.session));  // the Hello
  Bytes scratch;
  const auto staged = pipe.stage_output(&*host.session, host, scratch);
  CHECK(staged.data() == host.session->output().data());
  CHECK(host.tapped_out == Bytes(staged.begin(), staged.end()));
  pipe.release_staged(&*host.session);
  CHECK_FALSE(pipe.has_output(&*host.session));

  Bytes buffer = bytes("not a frame at all, but bytes all the same");
  const std::size_t received = buffer.size();
  buffer.resize(1024);
  CHECK(pipe.receive(buffer, received, host, 0) == WirePipe::Arrival::Ok);
  CHECK(text(host.tapped_in) == "not a frame at all, but bytes all the same");
}

TEST_CASE("TLS: the client's session starts once the handshake is done; plaintext crosses once") {
  TlsPipes pipes;
  CHECK(pipes.client.is_tls());
  CHECK_FALSE(pipes.client_host.session);
  pipes.pump();
  CHECK(pipes.client_host.established == 1);
  CHECK(pipes.server_host.established == 1);
  REQUIRE(pipes.client_host.session);
  // The client's Hello, as its session wrote it, is what the server's session was handed.
  CHECK_FALSE(pipes.client_host.tapped_out.empty());
  CHECK(pipes.server_host.tapped_in == pipes.client_host.tapped_out);
  CHECK(pipes.server_host.session->state() != protocol::Session::State::Idle);
}

TEST_CASE("TLS: what a session writes before the handshake is dropped, never sent in the clear") {
  Host host(protocol::Role::Client);
  host.start();  // a Hello waiting before any TLS record
  const Bytes hello(host.session->output().begin(), host.session->output().end());
  WirePipe pipe(make_context(client_settings()));
  Bytes wire;
  pipe.take_output(&*host.session, host, wire);
  CHECK_FALSE(wire.empty());  // the ClientHello
  CHECK(std::search(wire.begin(), wire.end(), hello.begin(), hello.end()) == wire.end());
  CHECK_FALSE(host.session->has_output());
  CHECK(host.tapped_out.empty());
}

TEST_CASE("TLS: plaintext where a handshake belongs fails the pipe") {
  Host host(protocol::Role::Server);
  host.start();
  WirePipe pipe(make_context(server_settings(StandardPki::get().server_p256)));
  Bytes buffer = bytes("GET / HTTP/1.1\r\nHost: kite\r\n\r\n");
  const std::size_t received = buffer.size();
  buffer.resize(1024);
  CHECK(pipe.receive(buffer, received, host, 0) == WirePipe::Arrival::TlsFailed);
  CHECK(pipe.channel()->failed());
  CHECK(host.tapped_in.empty());
  CHECK(host.established == 0);
}

TEST_CASE("TLS: the peer's close_notify is reported once the records before it are read") {
  TlsPipes pipes;
  pipes.pump();
  WirePipe::Arrival arrival = WirePipe::Arrival::Ok;
  REQUIRE(carry(pipes.client, pipes.client_host, pipes.server, pipes.server_host, &arrival,
                /*closing=*/true));
  CHECK(arrival == WirePipe::Arrival::TlsClosed);
}

}  // namespace
}  // namespace kite::test
