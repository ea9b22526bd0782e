// Session resumption with TLS 1.3 tickets: taken on the next connection, on any server channel of
// the same context, across a reload that keeps the ticket keys, never for a revoked certificate,
// never renewed by a resumption and never past ticket_max_age_s after the full handshake.
#include "tls_helpers.h"

using namespace kite;
using namespace kite::test;

namespace {

// A connection that also exchanges a little data, so the client reads the tickets.
ChannelPair connect_and_talk(std::shared_ptr<const tls::TlsContext> client,
                             std::shared_ptr<const tls::TlsContext> server) {
  ChannelPair pair = connect(std::move(client), std::move(server));
  if (pair.both_open()) {
    pair.server.write(bytes("ping"));
    pair.pump();
  }
  return pair;
}

}  // namespace

TEST_CASE("the second connection resumes with a ticket, on another channel of the server context") {
  auto& pki = StandardPki::get();
  auto client = make_context(device_settings(pki.device));
  auto server = make_context(mtls_server_settings());

  ChannelPair first = connect_and_talk(client, server);
  REQUIRE(first.both_open());
  CHECK_FALSE(first.client.resumed());
  CHECK_FALSE(first.server.resumed());

  ChannelPair next = connect_and_talk(client, server);
  REQUIRE(next.both_open());
  CHECK(next.client.resumed());
  CHECK(next.server.resumed());
  // The identity survives resumption: the session carries the client certificate.
  CHECK(next.server.peer_identity() == "device-42");
  CHECK(next.server.peer_certificate().serial == first.server.peer_certificate().serial);
  REQUIRE(next.client.write(bytes("after resumption")));
  next.pump();
  CHECK(text(next.server_received) == "after resumption");
}

// A resumed connection brings no fresh ticket: with the certificate as the whole credential, a
// ticket copied from a device must not renew itself for ever. The device pays one full handshake
// (with its certificate checked) every other connection.
TEST_CASE("a resumed connection brings no new ticket: the next one is a full handshake") {
  auto& pki = StandardPki::get();
  auto client = make_context(device_settings(pki.device));
  auto server = make_context(mtls_server_settings());
  for (int round = 0; round < 2; ++round) {
    CAPTURE(round);
    ChannelPair full = connect_and_talk(client, server);
    REQUIRE(full.both_open());
    CHECK_FALSE(full.server.resumed());
    ChannelPair resumed = connect_and_talk(client, server);
    REQUIRE(resumed.both_open());
    CHECK(resumed.server.resumed());
  }
}

namespace {
std::int64_t fake_now_s = 1'800'000'000;
std::int64_t fake_clock() {
  return fake_now_s;
}
}  // namespace

TEST_CASE("a ticket resumes until ticket_max_age_s after its full handshake, not later") {
  auto& pki = StandardPki::get();
  tls::TlsSettings settings = mtls_server_settings();
  settings.ticket_max_age_s = 3600;
  settings.clock = fake_clock;
  auto client = make_context(device_settings(pki.device));
  auto server = make_context(settings);

  fake_now_s = 1'800'000'000;
  REQUIRE(connect_and_talk(client, server).both_open());
  fake_now_s += 3600;  // at the limit: still resumes
  ChannelPair at_limit = connect_and_talk(client, server);
  REQUIRE(at_limit.both_open());
  CHECK(at_limit.server.resumed());

  REQUIRE(connect_and_talk(client, server).both_open());  // full: a ticket stamped now
  fake_now_s += 3601;                                     // past the limit
  ChannelPair too_old = connect_and_talk(client, server);
  REQUIRE(too_old.both_open());  // a full handshake, the certificate checked again
  CHECK_FALSE(too_old.server.resumed());
  CHECK(too_old.server.peer_identity() == "device-42");

  fake_now_s -= 7200;  // a clock set back: a ticket "from the future" is not trusted either
  ChannelPair future = connect_and_talk(client, server);
  REQUIRE(future.both_open());
  CHECK_FALSE(future.server.resumed());
}

TEST_CASE("a server context refuses a ticket_max_age_s of zero") {
  tls::TlsSettings settings = mtls_server_settings();
  settings.ticket_max_age_s = 0;
  CHECK(tls::TlsContext::create(settings).error == "ticket_max_age_s must be positive");
}

TEST_CASE("a ticket is offered once: after a channel that never connected, a full handshake") {
  auto& pki = StandardPki::get();
  auto client = make_context(client_settings());
  auto server = make_context(server_settings(pki.server_p256));
  connect_and_talk(client, server);
  { tls::TlsChannel abandoned(client); }  // took the saved ticket, brought no new one
  ChannelPair next = connect(client, server);
  CHECK(next.both_open());
  CHECK_FALSE(next.client.resumed());
}

TEST_CASE("another server context cannot open the ticket, unless it took over the keys") {
  auto& pki = StandardPki::get();
  auto client = make_context(client_settings());
  auto server = make_context(server_settings(pki.server_p256));
  connect_and_talk(client, server);

  SUBCASE("a new context: full handshake") {
    ChannelPair pair = connect_and_talk(client, make_context(server_settings(pki.server_p256)));
    REQUIRE(pair.both_open());
    CHECK_FALSE(pair.client.resumed());
  }
  SUBCASE("a reload passing the old context: resumed") {
    auto reloaded = make_context(server_settings(pki.server_rsa), server.get());
    ChannelPair pair = connect_and_talk(client, reloaded);
    REQUIRE(pair.both_open());
    CHECK(pair.client.resumed());
  }
}

TEST_CASE("no resumption when tickets are off") {
  auto& pki = StandardPki::get();
  SUBCASE("on the server") {
    tls::TlsSettings settings = server_settings(pki.server_p256);
    settings.session_tickets = false;
    auto client = make_context(client_settings());
    auto server = make_context(settings);
    connect_and_talk(client, server);
    ChannelPair pair = connect_and_talk(client, server);
    REQUIRE(pair.both_open());
    CHECK_FALSE(pair.client.resumed());
  }
  SUBCASE("on the client") {
    tls::TlsSettings settings = client_settings();
    settings.session_tickets = false;
    auto client = make_context(settings);
    auto server = make_context(server_settings(pki.server_p256));
    connect_and_talk(client, server);
    ChannelPair pair = connect_and_talk(client, server);
    REQUIRE(pair.both_open());
    CHECK_FALSE(pair.client.resumed());
  }
}

TEST_CASE("after a CRL reload that keeps the ticket keys, a revoked device cannot resume") {
  auto& pki = StandardPki::get();
  auto client = make_context(device_settings(pki.device_revoked));
  auto before = make_context(mtls_server_settings());
  ChannelPair first = connect_and_talk(client, before);
  REQUIRE(first.both_open());
  ChannelPair resumed = connect_and_talk(client, before);  // the ticket works before the reload
  REQUIRE(resumed.client.resumed());
  REQUIRE(connect_and_talk(client, before).both_open());  // a full handshake: a fresh ticket

  tls::TlsSettings reloaded = mtls_server_settings();
  reloaded.crl_file = pki.crl;
  auto after = make_context(reloaded, before.get());
  ChannelPair refused = connect_and_talk(client, after);
  CHECK_FALSE(refused.server.resumed());
  CHECK(refused.server.failed());
  CHECK(refused.server.failure_reason() == "client certificate rejected: certificate revoked");

  // A device that is not revoked still resumes across the same reload.
  auto good_client = make_context(device_settings(pki.device));
  REQUIRE(connect_and_talk(good_client, before).both_open());
  ChannelPair good = connect_and_talk(good_client, after);
  REQUIRE(good.both_open());
  CHECK(good.server.resumed());
}

TEST_CASE("after a reload that drops the device's CA, its ticket no longer resumes") {
  auto& pki = StandardPki::get();
  auto client = make_context(device_settings(pki.device));
  auto before = make_context(mtls_server_settings());
  REQUIRE(connect_and_talk(client, before).both_open());

  // The same ticket keys, but the CA bundle now holds only another CA.
  tls::TlsSettings reloaded = mtls_server_settings();
  reloaded.ca_file = pki.other_ca.ca_file();
  auto after = make_context(reloaded, before.get());
  ChannelPair refused = connect_and_talk(client, after);
  CHECK_FALSE(refused.server.resumed());
  CHECK(refused.server.failed());

  // A reload that keeps the CA re-verifies the ticket once and resumes it.
  auto same_trust = make_context(mtls_server_settings(), before.get());
  connect_and_talk(client, before);
  ChannelPair resumed = connect_and_talk(client, same_trust);
  REQUIRE(resumed.both_open());
  CHECK(resumed.server.resumed());
  CHECK(resumed.server.peer_identity() == "device-42");
}

// OpenSSL marks a session unresumable when its connection is freed without close_notify; the
// context keeps its own copy of each ticket, so the usual end of a connection (EOF) costs nothing.
TEST_CASE("a connection dropped without close_notify still leaves a ticket for the next one") {
  auto& pki = StandardPki::get();
  auto client = make_context(client_settings());
  auto server = make_context(server_settings(pki.server_p256));
  {
    ChannelPair dropped = connect_and_talk(client, server);
    REQUIRE(dropped.both_open());
  }  // freed, no close()
  ChannelPair next = connect_and_talk(client, server);
  REQUIRE(next.both_open());
  CHECK(next.client.resumed());
}

TEST_CASE("TLS 1.2 resumes with a ticket too") {
  auto& pki = StandardPki::get();
  tls::TlsSettings client_settings_12 = device_settings(pki.device);
  client_settings_12.min_version = tls::TlsVersion::V1_2;
  client_settings_12.max_version = tls::TlsVersion::V1_2;
  tls::TlsSettings server_settings_12 = mtls_server_settings();
  server_settings_12.min_version = tls::TlsVersion::V1_2;
  auto client = make_context(client_settings_12);
  auto server = make_context(server_settings_12);
  ChannelPair first = connect_and_talk(client, server);
  REQUIRE(first.both_open());
  CHECK(first.client.version() == "TLSv1.2");
  ChannelPair second = connect_and_talk(client, server);
  REQUIRE(second.both_open());
  CHECK(second.client.resumed());
  CHECK(second.server.peer_identity() == "device-42");
}
