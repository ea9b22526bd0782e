// Building a context: errors name the file and OpenSSL's reason; settings that cannot work are
// refused before any file is read.
#include <fstream>

#include "kite/tls/settings.h"
#include "tls_helpers.h"

using namespace kite;
using namespace kite::test;

namespace {

std::string create_error(const tls::TlsSettings& settings) {
  auto created = tls::TlsContext::create(settings);
  CHECK_FALSE(created.context);
  return created.error;
}

std::string write_file(const std::string& name, const std::string& content) {
  std::string path = (StandardPki::get().dir.path() / name).string();
  std::ofstream(path) << content;
  return path;
}

}  // namespace

TEST_CASE("a missing certificate file is named, with the system's reason") {
  tls::TlsSettings settings = server_settings(StandardPki::get().server_p256);
  settings.certificate_chain_file = "/nonexistent/cert.pem";
  CHECK(create_error(settings) ==
        "certificate chain /nonexistent/cert.pem: cannot open (No such file or directory)");
}

TEST_CASE("a key that belongs to another certificate is refused") {
  auto& pki = StandardPki::get();
  tls::TlsSettings settings = server_settings(pki.server_p256);
  settings.private_key_file = pki.device.key;  // P-256 too, but not this certificate's
  std::string error = create_error(settings);
  CHECK(error == "private key " + pki.device.key + " does not match certificate " +
                     pki.server_p256.certificate + " (key values mismatch)");
  settings.private_key_file = pki.server_rsa.key;  // another type altogether
  CHECK(create_error(settings) == "private key " + pki.server_rsa.key +
                                      " does not match certificate " + pki.server_p256.certificate +
                                      " (a key of another type)");
  settings.private_key_file = pki.server_p256.certificate;  // no key in it
  CHECK(create_error(settings) ==
        "private key " + pki.server_p256.certificate + ": no PEM private key in it (unsupported)");
}

TEST_CASE("files that are not PEM are refused with OpenSSL's reason") {
  auto& pki = StandardPki::get();
  std::string junk = write_file("junk.pem", "not a certificate\n");
  tls::TlsSettings settings = server_settings(pki.server_p256);
  settings.certificate_chain_file = junk;
  CHECK(create_error(settings) == "certificate chain " + junk + ": no start line");

  settings = mtls_server_settings();
  settings.ca_file = junk;
  CHECK(create_error(settings).find("CA file " + junk + ": ") == 0);

  settings = mtls_server_settings();
  settings.crl_file = junk;
  CHECK(create_error(settings) == "CRL file " + junk + ": no CRL in it");
}

TEST_CASE("settings that cannot work are refused") {
  auto& pki = StandardPki::get();
  tls::TlsSettings no_cert;
  CHECK(create_error(no_cert) == "a server needs certificate_chain_file and private_key_file");

  tls::TlsSettings mtls_without_ca = server_settings(pki.server_p256);
  mtls_without_ca.client_certificates = tls::ClientCertificates::Optional;
  CHECK(create_error(mtls_without_ca) ==
        "client certificates are requested but no ca_file verifies them");

  tls::TlsSettings half_client = client_settings();
  half_client.certificate_chain_file = pki.device.certificate;
  CHECK(create_error(half_client) == "certificate_chain_file and private_key_file go together");

  tls::TlsSettings versions = client_settings();
  versions.min_version = tls::TlsVersion::V1_3;
  versions.max_version = tls::TlsVersion::V1_2;
  CHECK(create_error(versions) == "min_version is above max_version");
}

TEST_CASE("a CA bundle and a CRL are loaded; a client without ca_file uses the system store") {
  tls::TlsSettings server = mtls_server_settings();
  server.crl_file = StandardPki::get().crl;
  CHECK(tls::TlsContext::create(server).context);
  tls::TlsSettings client = client_settings();
  client.ca_file.clear();
  CHECK(tls::TlsContext::create(client).context);
}

TEST_CASE("TLS versions as kited.toml spells them") {
  CHECK(tls::parse_tls_version("1.2") == tls::TlsVersion::V1_2);
  CHECK(tls::parse_tls_version("1.3") == tls::TlsVersion::V1_3);
  CHECK_FALSE(tls::parse_tls_version("1.1"));
  CHECK_FALSE(tls::parse_tls_version("TLSv1.3"));
  CHECK(tls::tls_version_name(tls::TlsVersion::V1_2) == "1.2");
  CHECK(tls::failure_name(tls::Failure::NotTls) == "not TLS");
}
