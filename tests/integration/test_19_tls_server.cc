// kited's TLS device listener seen from the wire: a minimal TLS device (kite::tls::TlsChannel and
// a client protocol::Session over a blocking loopback socket) checks mutual TLS as a credential,
// refused certificates, the id check, plaintext and trickling clients on the TLS port, a replayed
// handshake, resumption, CRL reloads on SIGHUP, the minimum TLS version, and the HTTPS admin API.
// Every certificate is made here (kite_test_pki) in a temporary directory removed at the end.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "harness.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/tls/channel.h"
#include "kite/tls/context.h"
#include "raw_socket.h"
#include "test_pki.h"
#include "tls_fixture.h"
#include "tls_test_device.h"

namespace kite::it {
namespace {

using kite::tls::TlsChannel;
using kite::tls::TlsContext;
using kite::tls::TlsSettings;
using kite::tls::TlsVersion;
using test::Usage;

using Pki = TlsPki;

// A client context trusting `pki.ca`, with `cert` for mutual TLS (or none).
std::shared_ptr<const TlsContext> client_context(const Pki& pki, const test::IssuedCert* cert,
                                                 TlsVersion max = TlsVersion::V1_3) {
  TlsSettings settings;
  settings.role = kite::tls::Role::Client;
  settings.ca_file = pki.ca.ca_file();
  settings.server_name = "127.0.0.1";
  settings.min_version = TlsVersion::V1_2;
  settings.max_version = max;
  if (cert) {
    settings.certificate_chain_file = cert->certificate;
    settings.private_key_file = cert->key;
  }
  auto created = TlsContext::create(settings);
  INFO(created.error);
  REQUIRE(created.context);
  return created.context;
}

bool online(Harness& h, const std::string& device) {
  return h.wait_device(device, [](const auto& b) { return b["online"] == true; })["online"] == true;
}

// Polls `done` every 10 ms for up to kWait.
bool eventually(const std::function<bool()>& done) {
  for (const Millis deadline = now_ms() + kWait; now_ms() < deadline;) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

bool in_log(const Harness& h, const std::string& text) {
  return wait_log(h.kited, text);
}

// Runs a shell command; its exit status and output (stdout and stderr).
std::pair<int, std::string> shell(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) output.append(buffer, n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

}  // namespace

TEST_CASE("19.1 tls server: mutual TLS, the certificate as the credential; device online") {
  Pki pki("srv");
  TlsHarness t(pki, "required");
  TlsDevice device(client_context(pki, &pki.device_1), "srv-dev-1", t.tls_port);
  INFO("kited log:\n" << t.h.kited.log());
  REQUIRE(device.wait_open());
  CHECK(device.channel().version() == "TLSv1.3");
  CHECK_FALSE(device.channel().resumed());
  CHECK(online(t.h, "srv-dev-1"));
  CHECK(t.h.http.device("srv-dev-1")["tls"] == true);
  auto listing = t.h.http.request("GET", "/v1/devices").json();
  REQUIRE(listing["devices"].size() == 1);
  CHECK(listing["devices"][0]["tls"] == true);
  CHECK(metric(t.h, "kite_tls_handshakes_total{resumed=\"false\"}") >= 1);
  CHECK(metric(t.h, "kite_tls_handshakes_total{resumed=\"true\"}") == 0);
}

TEST_CASE("19.2 tls server: expired, foreign-CA and revoked certificates fail the TLS handshake") {
  Pki pki("srv");
  TlsHarness t(pki, "required");
  struct Case {
    const char* id;
    const test::IssuedCert* cert;
  };
  int refused = 0;
  for (const Case& c : {Case{"srv-expired", &pki.expired}, Case{"srv-foreign", &pki.foreign},
                        Case{"srv-revoked", &pki.revoked}}) {
    INFO("device " << c.id);
    TlsDevice device(client_context(pki, c.cert), c.id, t.tls_port);
    CHECK_FALSE(device.wait_open());
    CHECK(device.channel().failed());  // kited's alert, read by the client
    CHECK(t.h.http.device(c.id)["online"] == false);
    ++refused;
  }
  CHECK(metric(t.h, "kite_tls_handshake_failures_total{reason=\"peer_certificate_rejected\"}") ==
        refused);
  CHECK(in_log(t.h, "tls.handshake_failed"));
  CHECK(in_log(t.h, "expired"));
}

TEST_CASE("19.3 tls server: the certificate's id must be the claimed one") {
  Pki pki("srv");
  TlsHarness t(pki, "required");

  SUBCASE("AuthMethod::Tls, certificate for A, hello for B: AuthFailed naming both") {
    TlsDevice device(client_context(pki, &pki.device_1), "srv-dev-2", t.tls_port);
    REQUIRE(device.wait_end());
    REQUIRE(device.closed());
    CHECK(device.closed()->reason == Reason::AuthFailed);
    CHECK(device.closed()->message == "certificate is for device srv-dev-1, not srv-dev-2");
    CHECK(t.h.http.device("srv-dev-2")["online"] == false);
  }
  SUBCASE("client_cert = required: a valid key for B with A's certificate is not enough") {
    TlsDevice device(client_context(pki, &pki.device_1), "srv-dev-2", t.tls_port,
                     protocol::AuthMethod::Hmac);
    REQUIRE(device.wait_end());
    REQUIRE(device.closed());
    CHECK(device.closed()->reason == Reason::AuthFailed);
    CHECK(t.h.http.device("srv-dev-2")["online"] == false);
  }
  SUBCASE("client_cert = required: a key and its own certificate log in") {
    TlsDevice device(client_context(pki, &pki.device_2), "srv-dev-2", t.tls_port,
                     protocol::AuthMethod::Hmac);
    CHECK(device.wait_open());
  }
  SUBCASE("AuthMethod::Tls on the plain port: AuthFailed, no client certificate") {
    auto options = t.h.device_options("srv-dev-1");
    options.method = protocol::AuthMethod::Tls;
    TestDevice device(options);
    device.connect();
    auto closed = device.wait_closed(kWait);
    REQUIRE(closed);
    CHECK(closed->reason == Reason::AuthFailed);
    CHECK(closed->message == "no client certificate");
  }
}

TEST_CASE("19.4 tls server: plaintext and trickling clients on the TLS port are cut off") {
  Pki pki("srv");
  TlsHarness t(pki, "optional", {"--set", "auth.handshake_timeout_ms=500"});

  SUBCASE("a plain Kite hello: closed, logged, kited fine") {
    auto options = t.h.device_options("srv-plain");
    options.port = t.tls_port;
    TestDevice device(options);
    device.connect();
    CHECK(device.wait_socket_closed(kWait));
    CHECK(metric(t.h, "kite_tls_handshake_failures_total{reason=\"not_tls\"}") == 1);
    CHECK(in_log(t.h, "peer sent plaintext, not TLS"));
  }
  SUBCASE("one byte of a ClientHello, then silence: closed at the handshake deadline") {
    RawSocket raw(t.tls_port);
    const std::uint8_t first[] = {0x16};
    REQUIRE(raw.send(first));
    const Millis start = now_ms();
    CHECK(raw.read_until_closed(kWait));
    CHECK(now_ms() - start < 3'000);
  }
  CHECK(t.h.kited.alive());
  CHECK(t.h.http.request("GET", "/healthz", "", false).status == 200);
}

TEST_CASE("19.5 tls server: a replayed handshake and hello open no session") {
  Pki pki("srv");
  TlsHarness t(pki, "required");
  Bytes recorded;
  {
    TlsDevice device(client_context(pki, &pki.device_1), "srv-dev-1", t.tls_port);
    REQUIRE(device.wait_open());
    recorded = device.written();
  }
  REQUIRE(t.h.wait_device("srv-dev-1",
                          [](const auto& b) { return b["online"] == false; })["online"] == false);
  const double failures_before =
      metric(t.h, "kite_tls_handshake_failures_total{reason=\"protocol_error\"}") +
      metric(t.h, "kite_tls_handshake_failures_total{reason=\"peer_certificate_rejected\"}");

  RawSocket replay(t.tls_port);
  REQUIRE(replay.send(recorded));
  CHECK(replay.read_until_closed(kWait));
  CHECK(t.h.http.device("srv-dev-1")["online"] == false);
  const double failures_after =
      metric(t.h, "kite_tls_handshake_failures_total{reason=\"protocol_error\"}") +
      metric(t.h, "kite_tls_handshake_failures_total{reason=\"peer_certificate_rejected\"}");
  CHECK(failures_after == failures_before + 1);
  CHECK(metric(t.h, "kite_handshakes_total") == 1);  // the original session only
}

TEST_CASE("19.6 tls server: a second connection resumes from the session ticket") {
  Pki pki("srv");
  TlsHarness t(pki, "required");
  auto context = client_context(pki, &pki.device_1);  // keeps the ticket between channels
  {
    TlsDevice first(context, "srv-dev-1", t.tls_port);
    REQUIRE(first.wait_open());
    CHECK_FALSE(first.channel().resumed());
  }
  TlsDevice second(context, "srv-dev-1", t.tls_port);
  REQUIRE(second.wait_open());
  CHECK(second.channel().resumed());
  CHECK(metric(t.h, "kite_tls_handshakes_total{resumed=\"true\"}") == 1);
  CHECK(online(t.h, "srv-dev-1"));  // the identity survives resumption
}

TEST_CASE("19.7 tls server: SIGHUP with a CRL revoking a live device kicks it, not the others") {
  Pki pki("srv");
  TlsHarness t(pki, "required");
  TlsDevice one(client_context(pki, &pki.device_1), "srv-dev-1", t.tls_port);
  TlsDevice two(client_context(pki, &pki.device_2), "srv-dev-2", t.tls_port);
  REQUIRE(one.wait_open());
  REQUIRE(two.wait_open());
  // Accepted before the reload, its handshake finished after it: on the old context.
  TlsDevice late(client_context(pki, &pki.device_1), "srv-dev-1", t.tls_port);
  REQUIRE(eventually([&] { return metric(t.h, "kite_connections_accepted_total") == 3; }));

  pki.ca.write_crl("ca", {pki.revoked.serial, pki.device_1.serial});  // the same file
  t.h.kited.signal(SIGHUP);
  REQUIRE(one.wait_end());
  REQUIRE(one.closed());
  CHECK(one.closed()->reason == Reason::Revoked);
  CHECK(one.closed()->message == "client certificate revoked");
  CHECK_FALSE(two.wait_end(500));  // still connected
  CHECK(online(t.h, "srv-dev-2"));
  REQUIRE(late.wait_end());
  REQUIRE(late.closed());
  CHECK(late.closed()->reason == Reason::Revoked);
  CHECK(metric(t.h, "kite_tls_revoked_sessions_total") == 2);

  // And the revoked certificate cannot come back, not even by resuming its ticket.
  TlsDevice again(client_context(pki, &pki.device_1), "srv-dev-1", t.tls_port);
  CHECK_FALSE(again.wait_open());
}

TEST_CASE("19.8 tls server: a TLS 1.2 client is refused under min_version 1.3, served under 1.2") {
  Pki pki("srv");
  SUBCASE("min_version = 1.3 (the default)") {
    TlsHarness t(pki, "required");
    TlsDevice device(client_context(pki, &pki.device_1, TlsVersion::V1_2), "srv-dev-1", t.tls_port);
    CHECK_FALSE(device.wait_open());
    CHECK(device.channel().failed());
    CHECK(metric(t.h, "kite_tls_handshake_failures_total{reason=\"protocol_error\"}") == 1);
  }
  SUBCASE("min_version = 1.2") {
    TlsHarness t(pki, "required", {"--set", "tls.min_version=1.2"});
    TlsDevice device(client_context(pki, &pki.device_1, TlsVersion::V1_2), "srv-dev-1", t.tls_port);
    REQUIRE(device.wait_open());
    CHECK(device.channel().version() == "TLSv1.2");
    CHECK(online(t.h, "srv-dev-1"));
  }
}

TEST_CASE("19.9 tls server: --check-config names what [tls] lacks and what does not load") {
  Pki pki("srv");
  auto check = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"--mode", "development", "--set", "tls.listen=127.0.0.1:7443"});
    args.push_back("--check-config");
    ChildProcess kited("kited --check-config", KITED_PATH, args);
    auto code = kited.wait_exit(kWait);
    REQUIRE(code);
    return std::pair{*code, kited.err() + kited.out()};
  };
  auto [no_cert, said_no_cert] = check({});
  CHECK(no_cert == 2);
  CHECK(said_no_cert.find("tls.cert_file") != std::string::npos);

  auto [no_ca, said_no_ca] =
      check({"--set", "tls.cert_file=" + pki.server.certificate, "--set",
             "tls.key_file=" + pki.server.key, "--set", "tls.client_cert=required"});
  CHECK(no_ca == 2);
  CHECK(said_no_ca.find("tls.ca_file") != std::string::npos);

  const std::string missing = (pki.dir.path() / "missing.pem").string();
  auto [bad_file, said_bad_file] =
      check({"--set", "tls.cert_file=" + missing, "--set", "tls.key_file=" + pki.server.key});
  CHECK(bad_file == 2);
  CHECK(said_bad_file.find(missing) != std::string::npos);

  auto [good, said_good] = check({"--set", "tls.cert_file=" + pki.server.certificate, "--set",
                                  "tls.key_file=" + pki.server.key});
  const std::string& said = said_good;  // clang 14 cannot capture a structured binding in INFO
  INFO(said);
  CHECK(good == 0);
}

TEST_CASE("19.10 tls server: HTTPS admin API: curl --cacert works, plain HTTP is closed") {
  Pki pki("srv");
  const std::uint16_t admin_port = free_port();
  std::uint16_t device_port = free_port();
  while (device_port == admin_port) device_port = free_port();
  ChildProcess kited(
      "kited", KITED_PATH,
      {"--mode", "development", "--device-listen", "127.0.0.1:" + std::to_string(device_port),
       "--admin-listen", "127.0.0.1:" + std::to_string(admin_port), "--data-dir",
       (pki.dir.path() / "data").string(), "--admin-token", kAdminToken, "--set",
       "auth.master_key=" + master_key_hex(), "--set", "store.engine=memory", "--set",
       "admin.tls_cert_file=" + pki.server.certificate, "--set",
       "admin.tls_key_file=" + pki.server.key});
  REQUIRE(kited.wait_out("admin API on https://", kWait));
  const std::string base = "https://127.0.0.1:" + std::to_string(admin_port);

  auto [ok, healthz] =
      shell("curl -sS --max-time 5 --cacert " + pki.ca.ca_file() + " " + base + "/healthz");
  const std::string& healthz_text = healthz;  // clang 14: no structured binding in INFO
  INFO(healthz_text);
  CHECK(ok == 0);
  CHECK(healthz.find("ok") != std::string::npos);
  auto [authorized, device] =
      shell("curl -sS --max-time 5 --cacert " + pki.ca.ca_file() + " -H 'Authorization: Bearer " +
            kAdminToken + "' " + base + "/v1/devices/nobody");
  const std::string& device_text = device;  // clang 14: no structured binding in INFO
  INFO(device_text);
  CHECK(authorized == 0);
  CHECK(device.find("\"online\"") != std::string::npos);

  auto [plain, plain_said] =
      shell("curl -sS --max-time 5 http://127.0.0.1:" + std::to_string(admin_port) + "/healthz");
  const std::string& plain_said_text = plain_said;  // clang 14: no structured binding in INFO
  INFO(plain_said_text);
  CHECK(plain != 0);  // the connection is closed: "Empty reply from server"
  auto [untrusted, untrusted_said] =
      shell("curl -sS --max-time 5 --cacert " + pki.other_ca.ca_file() + " " + base + "/healthz");
  CHECK(untrusted != 0);

  auto [again, again_said] =
      shell("curl -sS --max-time 5 --cacert " + pki.ca.ca_file() + " " + base + "/healthz");
  CHECK(again == 0);  // still serving after both refusals
}

}  // namespace kite::it
