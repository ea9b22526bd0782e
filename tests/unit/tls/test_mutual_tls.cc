// Mutual TLS: the device id read from the client certificate (subject CN, SAN DNS, SAN URI), and
// the refusals a server owes: expired, unknown CA, revoked, missing, no id in it.
#include <cstdio>

#include "tls_helpers.h"

using namespace kite;
using namespace kite::test;

namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

ChannelPair connect_device(const IssuedCert& device, tls::TlsSettings server) {
  return connect(make_context(device_settings(device)), make_context(server));
}

// A TLS 1.3 client finishes its handshake before the server has checked its certificate; the
// server's verdict reaches it as an alert on its next read.
void check_refused(ChannelPair& pair, tls::Failure server_failure, std::string_view server_reason,
                   std::string_view client_reason) {
  CHECK(pair.server.failed());
  CHECK_FALSE(pair.server.handshake_done());
  CHECK(pair.server.failure() == server_failure);
  CHECK(pair.server.failure_reason() == server_reason);
  CHECK(pair.server.peer_identity().empty());
  CHECK(pair.client.failed());
  CHECK(pair.client.failure() == tls::Failure::AlertReceived);
  CHECK(pair.client.failure_reason() == client_reason);
  CHECK(pair.server_received.empty());
}

}  // namespace

TEST_CASE("mTLS: the device id comes from the subject CN") {
  auto& pki = StandardPki::get();
  ChannelPair pair = connect_device(pki.device, mtls_server_settings());
  REQUIRE(pair.both_open());
  CHECK(pair.server.peer_identity() == "device-42");
  CHECK(pair.client.peer_identity().empty());  // only servers read ids
  const tls::CertificateId& id = pair.server.peer_certificate();
  char serial[32];
  std::snprintf(serial, sizeof serial, "%llX", static_cast<unsigned long long>(pki.device.serial));
  CHECK(id.serial == serial);
  CHECK(contains(id.issuer, "CN=Kite Test CA"));
  CHECK_FALSE(id.issuer_der.empty());
}

TEST_CASE("mTLS: the device id comes from a SAN DNS name or a SAN URI when so configured") {
  auto& pki = StandardPki::get();
  SUBCASE("SAN DNS") {
    tls::TlsSettings server = mtls_server_settings();
    server.identity_source = tls::IdentitySource::SanDns;
    ChannelPair pair = connect_device(pki.device_san_dns, server);
    REQUIRE(pair.both_open());
    CHECK(pair.server.peer_identity() == "device-dns-7.devices.kite");
  }
  SUBCASE("SAN URI after a prefix") {
    tls::TlsSettings server = mtls_server_settings();
    server.identity_source = tls::IdentitySource::SanUri;
    server.identity_uri_prefix = "urn:kite:device:";
    ChannelPair pair = connect_device(pki.device_san_uri, server);
    REQUIRE(pair.both_open());
    CHECK(pair.server.peer_identity() == "device-uri-9");
  }
  SUBCASE("SAN URI, whole") {
    tls::TlsSettings server = mtls_server_settings();
    server.identity_source = tls::IdentitySource::SanUri;
    ChannelPair pair = connect_device(pki.device_san_uri, server);
    REQUIRE(pair.both_open());
    CHECK(pair.server.peer_identity() == "urn:kite:device:device-uri-9");
  }
}

// OpenSSL turns an application's verification error into a "handshake failure" alert.
TEST_CASE("mTLS: a certificate without a device id where the server looks is refused") {
  auto& pki = StandardPki::get();
  SUBCASE("no CN") {
    ChannelPair pair = connect_device(pki.device_san_uri, mtls_server_settings());
    check_refused(pair, tls::Failure::PeerCertificateRejected,
                  "client certificate rejected: no device id in its subject CN",
                  "server sent alert: handshake failure");
  }
  SUBCASE("a URI without the prefix") {
    tls::TlsSettings server = mtls_server_settings();
    server.identity_source = tls::IdentitySource::SanUri;
    server.identity_uri_prefix = "spiffe://kite/device/";
    ChannelPair pair = connect_device(pki.device_san_uri, server);
    check_refused(pair, tls::Failure::PeerCertificateRejected,
                  "client certificate rejected: no device id in its SAN URI starting with "
                  "'spiffe://kite/device/'",
                  "server sent alert: handshake failure");
  }
  SUBCASE("neither CN nor SAN") {
    tls::TlsSettings server = mtls_server_settings();
    server.identity_source = tls::IdentitySource::SanDns;
    ChannelPair pair = connect_device(pki.device_no_id, server);
    check_refused(pair, tls::Failure::PeerCertificateRejected,
                  "client certificate rejected: no device id in its SAN DNS",
                  "server sent alert: handshake failure");
  }
}

TEST_CASE("mTLS: expired, foreign and revoked certificates are refused with the reason") {
  auto& pki = StandardPki::get();
  SUBCASE("expired") {
    ChannelPair pair = connect_device(pki.device_expired, mtls_server_settings());
    check_refused(pair, tls::Failure::PeerCertificateRejected,
                  "client certificate rejected: certificate has expired",
                  "server sent alert: certificate expired");
  }
  SUBCASE("issued by another CA") {
    ChannelPair pair = connect_device(pki.device_other_ca, mtls_server_settings());
    check_refused(pair, tls::Failure::PeerCertificateRejected,
                  "client certificate rejected: unknown CA (not issued by a CA in the trusted "
                  "bundle)",
                  "server sent alert: unknown ca");
  }
  SUBCASE("revoked in the CRL") {
    tls::TlsSettings server = mtls_server_settings();
    server.crl_file = pki.crl;
    ChannelPair pair = connect_device(pki.device_revoked, server);
    check_refused(pair, tls::Failure::PeerCertificateRejected,
                  "client certificate rejected: certificate revoked",
                  "server sent alert: certificate revoked");
  }
  SUBCASE("the same CRL lets a valid certificate in") {
    tls::TlsSettings server = mtls_server_settings();
    server.crl_file = pki.crl;
    ChannelPair pair = connect_device(pki.device, server);
    REQUIRE(pair.both_open());
    CHECK(pair.server.peer_identity() == "device-42");
  }
  SUBCASE("a CRL that does not list it lets the revoked one in") {
    tls::TlsSettings server = mtls_server_settings();
    server.crl_file = pki.empty_crl;
    ChannelPair pair = connect_device(pki.device_revoked, server);
    REQUIRE(pair.both_open());
  }
}

TEST_CASE("mTLS: a client without a certificate") {
  auto& pki = StandardPki::get();
  SUBCASE("is refused when one is required") {
    ChannelPair pair =
        connect(make_context(client_settings()), make_context(mtls_server_settings()));
    check_refused(pair, tls::Failure::PeerCertificateMissing,
                  "client sent no certificate, and one is required",
                  "server sent alert: certificate required");
  }
  SUBCASE("is let in when one is optional, without an id") {
    tls::TlsSettings server = mtls_server_settings();
    server.client_certificates = tls::ClientCertificates::Optional;
    ChannelPair pair = connect(make_context(client_settings()), make_context(server));
    REQUIRE(pair.both_open());
    CHECK(pair.server.peer_identity().empty());
    CHECK(pair.server.peer_certificate().empty());
  }
  SUBCASE("with one when optional: it is checked and read") {
    tls::TlsSettings server = mtls_server_settings();
    server.client_certificates = tls::ClientCertificates::Optional;
    ChannelPair pair = connect_device(pki.device, server);
    REQUIRE(pair.both_open());
    CHECK(pair.server.peer_identity() == "device-42");
    ChannelPair expired = connect_device(pki.device_expired, server);
    CHECK(expired.server.failed());
  }
}

TEST_CASE("TlsContext::revoked() finds live connections' certificates in a reloaded CRL") {
  auto& pki = StandardPki::get();
  auto before_reload = make_context(mtls_server_settings());
  ChannelPair revoked_device = connect_device(pki.device_revoked, mtls_server_settings());
  ChannelPair good_device = connect_device(pki.device, mtls_server_settings());
  REQUIRE(revoked_device.both_open());
  REQUIRE(good_device.both_open());

  tls::TlsSettings reloaded = mtls_server_settings();
  reloaded.crl_file = pki.crl;
  auto after_reload = make_context(reloaded, before_reload.get());
  CHECK(after_reload->revoked(revoked_device.server.peer_certificate()));
  CHECK_FALSE(after_reload->revoked(good_device.server.peer_certificate()));
  CHECK_FALSE(after_reload->revoked(tls::CertificateId{}));  // a peer without a certificate
  CHECK_FALSE(before_reload->revoked(revoked_device.server.peer_certificate()));  // no CRL

  // Same serial, other issuer: not the one the CRL names.
  tls::CertificateId other = revoked_device.server.peer_certificate();
  other.issuer_der = {0x30, 0x00};  // an empty name
  CHECK_FALSE(after_reload->revoked(other));
}
