// The device SDK and `kite listen` over TLS against a real kited with its TLS listener on
// ([tls] listen, beside the plain one): kited's certificate verified (IP and DNS names), refusals
// by either side with the reason in the state change, mutual TLS with the certificate as the
// credential, TLS and Kite session resumption after a kick, and the options start() refuses.
// Every certificate is made here (kite_test_pki) in a temporary directory removed at the end.
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "harness.h"
#include "kite_cli.h"
#include "sdk_probe.h"
#include "test_pki.h"
#include "tls_fixture.h"

namespace kite::it {
namespace {

using test::Usage;

using Pki = TlsPki;

// SDK options for the TLS port, trusting `pki.ca`; credentials: the device key.
ClientOptions tls_options(const Pki& pki, const std::string& id, std::uint16_t port) {
  ClientOptions options = sdk_options(id, port);
  options.host = "127.0.0.1";
  options.tls.enabled = true;
  options.tls.ca_file = pki.ca.ca_file();
  return options;
}

// Certificate login: no key, the client certificate only.
ClientOptions cert_options(const Pki& pki, const std::string& id, std::uint16_t port,
                           const test::IssuedCert& cert) {
  ClientOptions options = tls_options(pki, id, port);
  options.key.clear();
  options.tls.cert_file = cert.certificate;
  options.tls.key_file = cert.key;
  return options;
}

// What the state changes said beside the state itself (the probe keeps reasons, not details).
class Details {
 public:
  std::function<void(const StateChange&)> recorder() {
    return [this](const StateChange& s) {
      std::lock_guard lock(mutex_);
      lines_.push_back(std::string(describe(s.state)) + " " + std::string(s.reason) + ": " +
                       std::string(s.detail));
    };
  }
  std::string all() {
    std::lock_guard lock(mutex_);
    std::string text;
    for (const auto& line : lines_) text += line + "\n";
    return text;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

std::size_t count_reason(const SdkRecord& r, State state, const std::string& reason) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < r.states.size(); ++i)
    n += r.states[i].state == state && r.state_reasons[i] == reason;
  return n;
}

// Starts a client that must not get in: waits for `attempts` TLS failures (Disconnected,
// reason TlsFailed) and checks no session was ever opened. Returns what the changes said.
std::string expect_tls_refusal(ClientOptions options, std::size_t attempts = 2) {
  Client client(options);
  Details details;
  SdkProbe probe(client, {}, details.recorder());
  REQUIRE(client.start() == Error::Ok);
  const bool refused = probe.wait(
      [&](const SdkRecord& r) {
        return count_reason(r, State::Disconnected, "TlsFailed") >= attempts;
      },
      kWait);
  INFO("state changes:\n" << details.all());
  CHECK(refused);
  CHECK(probe.count_state(State::Connected) == 0);
  client.stop();
  REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
  return details.all();
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

bool online(Harness& h, const std::string& device) {
  return h.wait_device(device, [](const auto& b) { return b["online"] == true; })["online"] == true;
}

}  // namespace

TEST_CASE("18.1 tls sdk: TLS 1.3 to kited's verified IP address; messages and commands both ways") {
  Pki pki("tls");
  TlsHarness t(pki);
  Client client(tls_options(pki, "tls-basic", t.tls_port));
  Details details;
  SdkProbe probe(client, {}, details.recorder());
  REQUIRE(client.start() == Error::Ok);
  INFO("state changes:\n" << details.all());
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  CHECK_FALSE(probe.snapshot().states.back().tls_resumed);  // a first, full handshake
  CHECK(online(t.h, "tls-basic"));

  t.h.send_ok("tls-basic", "hello over tls");
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() == 1; }, kWait));
  CHECK(probe.snapshot().messages[0] == "hello over tls");
  auto acked = t.h.wait_device("tls-basic", [](const auto& b) { return b["acked_through"] == 1; });
  CHECK(acked["acked_through"] == 1);

  auto answer = t.h.http.request("POST", "/v1/devices/tls-basic/commands",
                                 R"({"name":"set_target","payload":"19","timeout_ms":3000})");
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  CHECK(answer.json()["payload"] == "set_target:19");

  // A frame larger than a TLS record (16 KiB): split over several, joined again by kited.
  const std::string big(40'000, 'x');
  REQUIRE(client.publish({.payload = "reading 1", .topic = "telemetry"}, probe.completion()) ==
          Error::Ok);
  REQUIRE(client.publish({.payload = big, .topic = "bulk"}, probe.completion()) == Error::Ok);
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.completions.size() == 2; }, kWait));
  for (const auto& completion : probe.snapshot().completions) {
    INFO(completion.second);  // clang 14 cannot capture a structured binding in INFO
    CHECK(completion.first == Error::Ok);
  }
  auto events =
      t.h.http.request("GET", "/v1/events?type=uplink&wait=0s&limit=10&after=0&device=tls-basic");
  CHECK(contains(events.body, "reading 1"));

  // The plain listener still serves devices beside the TLS one.
  Client plain(sdk_options("tls-plain-neighbour", t.h.kited.device_port()));
  SdkProbe plain_probe(plain);
  REQUIRE(plain.start() == Error::Ok);
  CHECK(plain_probe.wait_state(State::Connected, 1, kWait));

  client.stop();
  REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
  auto gone = t.h.wait_device("tls-basic", [](const auto& b) { return b["online"] == false; });
  CHECK(gone["online"] == false);
}

TEST_CASE("18.2 tls sdk: kited's certificate checked: wrong CA, wrong name, wrong IP refused") {
  Pki pki("tls");
  TlsHarness t(pki);

  SUBCASE("a CA that did not sign kited's certificate: TlsFailed, no session") {
    auto options = tls_options(pki, "tls-wrong-ca", t.tls_port);
    options.tls.ca_file = pki.other_ca.ca_file();
    auto said = expect_tls_refusal(options);
    CHECK(contains(said, "server certificate rejected: unknown CA"));
    CHECK(t.h.http.device("tls-wrong-ca")["online"] == false);
  }
  SUBCASE("a DNS name the certificate does not carry") {
    auto options = tls_options(pki, "tls-wrong-name", t.tls_port);
    options.tls.server_name = "push.example.com";
    CHECK(contains(expect_tls_refusal(options), "hostname mismatch"));
  }
  SUBCASE("an IP address the certificate does not carry") {
    auto options = tls_options(pki, "tls-wrong-ip", t.tls_port);
    options.tls.server_name = "127.0.0.2";
    CHECK(contains(expect_tls_refusal(options), "IP address mismatch"));
  }
  SUBCASE("the name it does carry, resolved: localhost") {
    auto options = tls_options(pki, "tls-localhost", t.tls_port);
    options.host = "localhost";
    Client client(options);
    Details details;
    SdkProbe probe(client, {}, details.recorder());
    REQUIRE(client.start() == Error::Ok);
    INFO("state changes:\n" << details.all());
    CHECK(probe.wait_state(State::Connected, 1, kWait));
  }
  SUBCASE("TLS to the plain port: TlsFailed, kited's plaintext answer seen as such") {
    auto said = expect_tls_refusal(tls_options(pki, "tls-plain-port", t.h.kited.device_port()));
    CHECK((contains(said, "not TLS") || contains(said, "during the TLS handshake")));
  }
}

TEST_CASE("18.3 tls sdk: mutual TLS: the certificate is the credential, for its own id only") {
  Pki pki("tls");
  TlsHarness t(pki, "required");

  SUBCASE("CN = device id, no key: a session as that device") {
    Client client(cert_options(pki, "tls-dev-1", t.tls_port, pki.device_1));
    Details details;
    SdkProbe probe(client, {}, details.recorder());
    REQUIRE(client.start() == Error::Ok);
    INFO("state changes:\n" << details.all());
    REQUIRE(probe.wait_state(State::Connected, 1, kWait));
    CHECK(online(t.h, "tls-dev-1"));
    t.h.send_ok("tls-dev-1", "for the certified device");
    REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() == 1; }, kWait));
  }
  SUBCASE("a key and a certificate: the key logs in, the certificate passes kited's check") {
    auto options = cert_options(pki, "tls-dev-2", t.tls_port, pki.device_2);
    options.key = device_key_hex("tls-dev-2");
    Client client(options);
    Details details;
    SdkProbe probe(client, {}, details.recorder());
    REQUIRE(client.start() == Error::Ok);
    INFO("state changes:\n" << details.all());
    CHECK(probe.wait_state(State::Connected, 1, kWait));
  }
  SUBCASE("another device's certificate: refused, and no retry (the id will not change)") {
    Client client(cert_options(pki, "tls-dev-2", t.tls_port, pki.device_1));
    Details details;
    SdkProbe probe(client, {}, details.recorder());
    REQUIRE(client.start() == Error::Ok);
    INFO("state changes:\n" << details.all());
    REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
    auto r = probe.snapshot();
    CHECK(probe.count_state(State::Connected) == 0);
    CHECK(r.state_reasons.back() == "AuthFailed");
    CHECK(t.h.http.device("tls-dev-2")["online"] == false);
    CHECK(t.h.http.device("tls-dev-1")["online"] == false);
  }
  SUBCASE("no certificate where kited requires one: TlsFailed") {
    auto options = tls_options(pki, "tls-dev-1", t.tls_port);  // a key, but no certificate
    CHECK(contains(expect_tls_refusal(options), "server sent alert: certificate required"));
  }
}

TEST_CASE("18.4 tls sdk: expired, revoked and foreign client certificates refused with a reason") {
  Pki pki("tls");
  TlsHarness t(pki, "required");
  struct Case {
    const char* id;
    const test::IssuedCert* cert;
    const char* alert;
  };
  for (const Case& c : {Case{"tls-expired", &pki.expired, "certificate expired"},
                        Case{"tls-revoked", &pki.revoked, "certificate revoked"},
                        Case{"tls-foreign", &pki.foreign, "unknown ca"}}) {
    INFO("device " << c.id);
    // kited's alert is the reason; the client keeps trying with its back-off (a server-side
    // fix, such as a CRL update, lets it in without a restart).
    auto said = expect_tls_refusal(cert_options(pki, c.id, t.tls_port, *c.cert), 2);
    CHECK(contains(said, std::string("TlsFailed: server sent alert: ") + c.alert));
    CHECK(t.h.http.device(c.id)["online"] == false);
  }
}

TEST_CASE(
    "18.5 tls sdk: after a kick the TLS session resumes from its ticket, and so does Kite's") {
  Pki pki("tls");
  TlsHarness t(pki, "optional");
  bool with_certificate = false;
  SUBCASE("server authentication only, a device key") {}
  SUBCASE("mutual TLS, the certificate as the credential (sealed in the ticket)") {
    with_certificate = true;
  }
  const std::string id = with_certificate ? "tls-dev-1" : "tls-resume";
  auto options = with_certificate ? cert_options(pki, id, t.tls_port, pki.device_1)
                                  : tls_options(pki, id, t.tls_port);
  Client client(options);
  Details details;
  SdkProbe probe(client, {}, details.recorder());
  REQUIRE(client.start() == Error::Ok);
  INFO("state changes:\n" << details.all());
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  t.h.send_ok(id, "before the kick");
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() == 1; }, kWait));
  t.h.wait_device(id, [](const auto& b) { return b["acked_through"] == 1; });

  auto kick = t.h.http.request("DELETE", "/v1/devices/" + id + "/connection?message=kicked");
  REQUIRE(kick.status == 200);
  REQUIRE(probe.wait_state(State::Connected, 2, kWait));
  t.h.send_ok(id, "after the kick");
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() == 2; }, kWait));

  auto r = probe.snapshot();
  CHECK(r.messages == std::vector<std::string>{"before the kick", "after the kick"});
  std::vector<StateChange> connected;
  for (const auto& s : r.states)
    if (s.state == State::Connected) connected.push_back(s);
  REQUIRE(connected.size() == 2);
  CHECK_FALSE(connected[0].tls_resumed);
  CHECK(connected[1].tls_resumed);  // no certificate exchange the second time
  CHECK(connected[1].resumed);      // the Kite session too
  CHECK(online(t.h, id));
}

TEST_CASE("18.6 tls sdk: start() refuses unusable TLS options and says why in start_error()") {
  Pki pki("tls");
  const std::uint16_t port = free_port();  // nothing is dialled: start() fails first
  auto refused = [](const ClientOptions& options) {
    Client client(options);
    const Error error = client.start();
    CHECK(error == Error::Invalid);
    CHECK(client.start_error() == client.start_error());  // stable
    return client.start_error();
  };
  auto options = tls_options(pki, "tls-options", port);

  auto missing = options;
  missing.tls.ca_file = (pki.dir.path() / "nowhere.pem").string();
  CHECK(contains(refused(missing), "nowhere.pem"));

  auto half = options;
  half.tls.cert_file = pki.device_1.certificate;  // and no key_file
  CHECK(contains(refused(half), "tls.key_file"));

  auto mismatched = options;
  mismatched.tls.cert_file = pki.device_1.certificate;
  mismatched.tls.key_file = pki.device_2.key;
  CHECK(contains(refused(mismatched), pki.device_2.key));

  auto version = options;
  version.tls.min_version = "1.1";
  CHECK(contains(refused(version), "tls.min_version"));

  auto off = options;
  off.tls.enabled = false;  // a CA named, TLS forgotten: never plaintext by mistake
  CHECK(contains(refused(off), "tls.enabled"));

  auto no_credentials = options;
  no_credentials.key.clear();
  CHECK(contains(refused(no_credentials), "no credentials"));

  auto bad_key = sdk_options("tls-options", port);
  bad_key.key = "00";
  CHECK(contains(refused(bad_key), "key"));

  // A good configuration reports nothing.
  Client fine(options);
  CHECK(fine.start() == Error::Ok);
  CHECK(fine.start_error().empty());
}

TEST_CASE("18.7 tls cli: kite listen --tls --ca -C 1 gets what kite send sends; refusals exit 3") {
  Pki pki("tls");
  TlsHarness t(pki, "optional");
  const std::string port = std::to_string(t.tls_port);
  const std::string api = "http://127.0.0.1:" + std::to_string(t.h.kited.admin_port());
  auto listen_args = [&](const std::string& id, std::vector<std::string> more,
                         const std::string& ca) {
    std::vector<std::string> args = {"listen", "--id", id,      "--host", "127.0.0.1",
                                     "--port", port,   "--tls", "--ca",   ca};
    args.insert(args.end(), more.begin(), more.end());
    return args;
  };
  auto send = [&](const std::string& id, const std::string& payload) {
    auto run = run_kite({"send", id, payload, "--api", api, "--token", kAdminToken});
    INFO(run.out << run.err);
    CHECK(run.exit_code == 0);
  };

  SUBCASE("a derived key over TLS") {
    KiteChild listen(
        listen_args("tls-cli-1", {"--master-key", master_key_hex(), "-C", "1"}, pki.ca.ca_file()));
    INFO("kite listen stderr: " << listen.err());
    REQUIRE(online(t.h, "tls-cli-1"));
    send("tls-cli-1", "over tls");
    auto done = listen.wait(kWait);
    INFO(done.err);
    CHECK(done.exit_code == 0);
    CHECK(done.out == "over tls\n");
    CHECK(contains(done.err, "connected over TLS"));
  }
  SUBCASE("the certificate as the credential") {
    KiteChild listen(
        listen_args("tls-dev-1",
                    {"--cert", pki.device_1.certificate, "--cert-key", pki.device_1.key, "-C", "1"},
                    pki.ca.ca_file()));
    INFO("kite listen stderr: " << listen.err());
    REQUIRE(online(t.h, "tls-dev-1"));
    send("tls-dev-1", "certified");
    auto done = listen.wait(kWait);
    CHECK(done.exit_code == 0);
    CHECK(done.out == "certified\n");
  }
  SUBCASE("kited's certificate from another CA: exit 3 with the reason, no retrying") {
    auto run = run_kite(listen_args("tls-cli-2", {"--master-key", master_key_hex(), "-W", "20"},
                                    pki.other_ca.ca_file()));
    INFO(run.err);
    CHECK(run.exit_code == 3);
    CHECK(contains(run.err, "TLS failed"));
    CHECK(contains(run.err, "--ca"));
  }
  SUBCASE("usage: TLS options need --tls, --cert needs --cert-key; --help names them") {
    const std::vector<std::string> base = {"listen", "--id", "x", "--master-key", master_key_hex()};
    auto with = [&](std::vector<std::string> more) {
      auto args = base;
      args.insert(args.end(), more.begin(), more.end());
      return run_kite(args).exit_code;
    };
    CHECK(with({"--ca", pki.ca.ca_file()}) == 2);
    CHECK(with({"--tls", "--cert", pki.device_1.certificate}) == 2);
    CHECK(with({"--tls", "--tls-min", "1.1"}) == 2);
    auto help = run_kite({"listen", "--help"});
    for (const char* flag :
         {"--tls", "--ca", "--cert", "--cert-key", "--server-name", "--tls-min"}) {
      INFO(flag);
      CHECK(contains(help.out, flag));
    }
    auto bench_help = run_kite({"bench", "p2p", "--help"});
    CHECK(contains(bench_help.out, "--tls"));
    CHECK(contains(bench_help.out, "--ca"));
  }
}

}  // namespace kite::it
