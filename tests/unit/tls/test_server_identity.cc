// The client's check of the server: its chain, and its name (DNS name with SNI, or IP address).
#include <openssl/ssl.h>

#include "tls_helpers.h"

using namespace kite;
using namespace kite::test;

namespace {

ChannelPair connect_to(const IssuedCert& server_cert, const std::string& server_name) {
  return connect(make_context(client_settings(server_name)),
                 make_context(server_settings(server_cert)));
}

}  // namespace

TEST_CASE("the client sends the DNS name as SNI and checks it against the certificate") {
  auto& pki = StandardPki::get();
  ChannelPair pair = connect_to(pki.server_p256, "localhost");
  REQUIRE(pair.both_open());
  const char* sni = SSL_get_servername(pair.server.native_handle(), TLSEXT_NAMETYPE_host_name);
  REQUIRE(sni != nullptr);
  CHECK(std::string(sni) == "localhost");
}

TEST_CASE("a server certificate for another name is refused by the client") {
  auto& pki = StandardPki::get();
  ChannelPair pair = connect_to(pki.server_other_name, "localhost");
  CHECK(pair.client.failed());
  CHECK_FALSE(pair.client.handshake_done());
  CHECK(pair.client.failure() == tls::Failure::PeerCertificateRejected);
  CHECK(pair.client.failure_reason() ==
        "server certificate rejected: hostname mismatch (certificate is not for 'localhost')");
  CHECK(pair.server.failed());  // told by the client's alert
  CHECK(pair.server.failure_reason() == "client sent alert: bad certificate");
}

TEST_CASE("a certificate for push.example.com is not one for its parent domain") {
  auto& pki = StandardPki::get();
  ChannelPair pair = connect_to(pki.server_other_name, "push.example.com");
  CHECK(pair.both_open());
  ChannelPair other = connect_to(pki.server_other_name, "example.com");
  CHECK(other.client.failed());
}

TEST_CASE("connecting by IP address: the IP SAN is checked, no SNI is sent") {
  auto& pki = StandardPki::get();
  ChannelPair pair = connect_to(pki.server_p256, "127.0.0.1");
  REQUIRE(pair.both_open());
  CHECK(SSL_get_servername(pair.server.native_handle(), TLSEXT_NAMETYPE_host_name) == nullptr);

  ChannelPair wrong = connect_to(pki.server_p256, "10.1.2.3");
  CHECK(wrong.client.failed());
  CHECK(wrong.client.failure_reason() ==
        "server certificate rejected: IP address mismatch (certificate is not for '10.1.2.3')");
}

TEST_CASE("without a server name only the chain is verified") {
  auto& pki = StandardPki::get();
  ChannelPair pair = connect_to(pki.server_other_name, "");
  CHECK(pair.both_open());
}

TEST_CASE("a server certificate from an untrusted CA is refused by the client") {
  auto& pki = StandardPki::get();
  tls::TlsSettings client = client_settings();
  client.ca_file = pki.other_ca.ca_file();
  ChannelPair pair = connect(make_context(client), make_context(server_settings(pki.server_p256)));
  CHECK(pair.client.failed());
  CHECK(pair.client.failure_reason() ==
        "server certificate rejected: unknown CA (not issued by a CA in the trusted bundle)");
  CHECK(pair.server.failure_reason() == "client sent alert: unknown ca");
}
