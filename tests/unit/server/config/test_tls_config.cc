// The [tls] table and admin.tls_*: loading, the checks validate() makes before kited starts (or
// before a SIGHUP reload changes anything), and the TlsSettings kited builds from them.
#include <doctest/doctest.h>

#include "config/load.h"
#include "config/tls_settings.h"
#include "config/validate.h"
#include "test_pki.h"

using namespace kite::server::config;
using kite::tls::ClientCertificates;
using kite::tls::IdentitySource;
using kite::tls::TlsVersion;

using Problems = std::vector<Problem>;

namespace {

// A CA and a server certificate, made for this run and removed after it.
struct ServerPki {
  kite::test::TempDir dir;
  kite::test::TestCa ca{"Config Test CA", dir.path()};
  kite::test::IssuedCert server =
      ca.issue("server", {.common_name = "kited", .usage = kite::test::Usage::Server});
};

Config with_tls_listener(const ServerPki& pki) {
  Config c;
  c.tls.listen = "127.0.0.1:7443";
  c.tls.cert_file = pki.server.certificate;
  c.tls.key_file = pki.server.key;
  return c;
}

bool mentions(const Problems& problems, std::string_view key, std::string_view text) {
  for (const Problem& problem : problems)
    if (problem.key == key && problem.message.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("the TLS defaults: no listener, TLS 1.3, no client certificates, tickets on") {
  TlsConfig tls;
  CHECK(tls.listen.empty());
  CHECK(tls.min_version == TlsMinVersion::v1_3);
  CHECK(tls.client_cert == ClientCert::none);
  CHECK(tls.device_id_from == DeviceIdFrom::cn);
  CHECK(tls.tickets);
  CHECK(validate(Config{}) == Problems{});
}

TEST_CASE("every [tls] key loads from kited.toml") {
  ServerPki pki;
  const std::string crl = pki.ca.write_crl("ca", {});
  auto loaded = load_config_text(
      "[tls]\n"
      "listen = \"127.0.0.1:7443\"\n"
      "cert_file = \"" +
          pki.server.certificate +
          "\"\n"
          "key_file = \"" +
          pki.server.key +
          "\"\n"
          "ca_file = \"" +
          pki.ca.ca_file() +
          "\"\n"
          "crl_file = \"" +
          crl +
          "\"\n"
          "min_version = \"1.2\"\n"
          "client_cert = \"required\"\n"
          "device_id_from = \"san-uri\"\n"
          "tickets = false\n",
      "k.toml");
  REQUIRE(loaded.errors == std::vector<std::string>{});
  CHECK(loaded.config.tls == TlsConfig{"127.0.0.1:7443", pki.server.certificate, pki.server.key,
                                       pki.ca.ca_file(), crl, TlsMinVersion::v1_2,
                                       ClientCert::required, DeviceIdFrom::san_uri, false});
}

TEST_CASE("a [tls] choice outside its list names the key and the choices") {
  auto loaded = load_config_text("[tls]\nmin_version = \"1.1\"\nclient_cert = \"yes\"\n", "k.toml");
  REQUIRE(loaded.errors.size() == 2);
  CHECK(loaded.errors[0].find("tls.min_version") != std::string::npos);
  CHECK(loaded.errors[0].find("\"1.3\"") != std::string::npos);
  CHECK(loaded.errors[1].find("tls.client_cert") != std::string::npos);
  CHECK(loaded.errors[1].find("\"required\"") != std::string::npos);
}

TEST_CASE("a TLS listener needs its certificate and key, and mutual TLS needs a CA") {
  Config c;
  c.tls.listen = "127.0.0.1:7443";
  c.tls.client_cert = ClientCert::required;
  CHECK(validate(c) ==
        Problems{{"tls.cert_file", "tls.listen is set: kited needs its certificate (PEM)"},
                 {"tls.key_file", "tls.listen is set: kited needs its private key (PEM)"},
                 {"tls.ca_file",
                  "tls.client_cert is not \"none\": name the CA bundle that signs device "
                  "certificates"}});
}

TEST_CASE("the [tls] files must load, and the problem says which and why") {
  ServerPki pki;
  SUBCASE("a certificate and key that belong together are valid") {
    CHECK(validate(with_tls_listener(pki)) == Problems{});
  }
  SUBCASE("a missing certificate file") {
    Config c = with_tls_listener(pki);
    c.tls.cert_file = (pki.dir.path() / "absent.pem").string();
    auto problems = validate(c);
    REQUIRE(problems.size() == 1);
    CHECK(mentions(problems, "tls", "absent.pem: cannot open (No such file or directory)"));
  }
  SUBCASE("a key of another certificate") {
    Config c = with_tls_listener(pki);
    c.tls.key_file = pki.ca.issue("other", {.common_name = "other"}).key;
    auto problems = validate(c);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].key == "tls");
    CHECK_FALSE(problems[0].message.empty());
  }
  SUBCASE("a CA bundle that is not PEM") {
    Config c = with_tls_listener(pki);
    c.tls.client_cert = ClientCert::optional;
    c.tls.ca_file = pki.server.key;  // a key, not a certificate
    auto problems = validate(c);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].key == "tls");
  }
  SUBCASE("a bad listener address is reported as such, with the files") {
    Config c = with_tls_listener(pki);
    c.tls.listen = "localhost";
    CHECK_FALSE(validate(c).empty());
    CHECK(validate(c)[0].key == "tls.listen");
  }
}

TEST_CASE("the admin API's HTTPS needs both files, and they must load") {
  ServerPki pki;
  Config c;
  c.admin.tls_cert_file = pki.server.certificate;
  CHECK(validate(c) == Problems{{"admin.tls_key_file",
                                 "HTTPS needs both admin.tls_cert_file and admin.tls_key_file"}});
  c.admin.tls_key_file = pki.server.key;
  CHECK(validate(c) == Problems{});
  c.admin.tls_key_file = (pki.dir.path() / "absent.key").string();
  auto problems = validate(c);
  REQUIRE(problems.size() == 1);
  CHECK(mentions(problems, "admin.tls_cert_file", "absent.key: cannot open"));
}

TEST_CASE("the device listener's TlsSettings follow [tls]") {
  TlsConfig tls;
  tls.cert_file = "s.pem";
  tls.key_file = "s.key";
  tls.ca_file = "ca.pem";
  tls.crl_file = "ca.crl";
  auto defaults = device_tls_settings(tls);
  CHECK(defaults.role == kite::tls::Role::Server);
  CHECK(defaults.certificate_chain_file == "s.pem");
  CHECK(defaults.private_key_file == "s.key");
  CHECK(defaults.ca_file == "ca.pem");
  CHECK(defaults.crl_file == "ca.crl");
  CHECK(defaults.min_version == TlsVersion::V1_3);
  CHECK(defaults.client_certificates == ClientCertificates::None);
  CHECK(defaults.identity_source == IdentitySource::SubjectCommonName);
  CHECK(defaults.session_tickets);

  tls.min_version = TlsMinVersion::v1_2;
  tls.client_cert = ClientCert::optional;
  tls.device_id_from = DeviceIdFrom::san_dns;
  tls.tickets = false;
  auto changed = device_tls_settings(tls);
  CHECK(changed.min_version == TlsVersion::V1_2);
  CHECK(changed.client_certificates == ClientCertificates::Optional);
  CHECK(changed.identity_source == IdentitySource::SanDns);
  CHECK_FALSE(changed.session_tickets);

  tls.client_cert = ClientCert::required;
  tls.device_id_from = DeviceIdFrom::san_uri;
  auto strict = device_tls_settings(tls);
  CHECK(strict.client_certificates == ClientCertificates::Required);
  CHECK(strict.identity_source == IdentitySource::SanUri);
}

TEST_CASE("the admin API's TlsSettings accept TLS 1.2 and issue no tickets") {
  AdminConfig admin;
  admin.tls_cert_file = "a.pem";
  admin.tls_key_file = "a.key";
  auto settings = admin_tls_settings(admin);
  CHECK(settings.role == kite::tls::Role::Server);
  CHECK(settings.certificate_chain_file == "a.pem");
  CHECK(settings.private_key_file == "a.key");
  CHECK(settings.min_version == TlsVersion::V1_2);
  CHECK(settings.client_certificates == ClientCertificates::None);
  CHECK_FALSE(settings.session_tickets);
}
