// A throw-away PKI for TLS tests: CAs, server and device certificates, CRLs, all made with the
// OpenSSL API at test time and written as PEM files into a temporary directory that is removed
// when its owner goes. No doctest in here, so the integration tests and benchmarks can link it.
//
//   kite::test::TempDir dir;
//   kite::test::TestCa ca("Kite Test CA", dir.path());
//   auto server = ca.issue("server", {.common_name = "kited", .dns_names = {"localhost"},
//                                     .ip_addresses = {"127.0.0.1"}, .usage = Usage::Server});
//   auto crl = ca.write_crl("ca", {revoked.serial});
//
// Keys are P-256 by default (RSA-2048 on request: ~100 ms each). Certificates are valid from a day
// ago for 30 days unless the spec says otherwise; every field a test leaves empty stays out.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace kite::test {

// A fresh directory under the system's temp dir, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

enum class KeyKind { P256, Rsa2048 };
enum class Usage { Server, Client };  // the extended key usage the certificate carries

struct CertSpec {
  std::string common_name{};                // empty: no CN in the subject
  std::vector<std::string> dns_names{};     // subjectAltName DNS entries
  std::vector<std::string> ip_addresses{};  // subjectAltName IP entries
  std::vector<std::string> uris{};          // subjectAltName URI entries
  KeyKind key = KeyKind::P256;
  Usage usage = Usage::Client;
  int valid_from_days = -1;  // relative to now; negative is in the past
  int valid_to_days = 30;    // an expired certificate: {-30, -1}
};

// PEM files of one issued certificate.
struct IssuedCert {
  std::string certificate;  // the leaf, then the issuing CA (a chain file)
  std::string key;          // its private key, unencrypted
  std::uint64_t serial = 0;
};

// A self-signed root CA with a P-256 key, written to <dir>/<stem>-ca.pem.
class TestCa {
 public:
  TestCa(const std::string& name, const std::filesystem::path& dir);
  ~TestCa();
  TestCa(const TestCa&) = delete;
  TestCa& operator=(const TestCa&) = delete;

  // The CA certificate's PEM file: the ca_file of whoever trusts this CA.
  const std::string& ca_file() const { return ca_file_; }

  // Signs a new certificate per `spec`; files <dir>/<stem>.pem and <dir>/<stem>-key.pem.
  IssuedCert issue(const std::string& stem, const CertSpec& spec);

  // A CRL signed by this CA listing `revoked_serials`, valid for 30 days; returns its PEM file
  // <dir>/<stem>-crl.pem.
  std::string write_crl(const std::string& stem, const std::vector<std::uint64_t>& revoked_serials);

 private:
  struct Keys;
  std::unique_ptr<Keys> keys_;
  std::filesystem::path dir_;
  std::string ca_file_;
  std::uint64_t next_serial_ = 0x1001;
};

// The certificates the TLS tests need, made once per process (RSA keys are slow) and removed at
// exit. All device certificates but `device_other_ca` come from `ca`.
struct StandardPki {
  TempDir dir;
  TestCa ca{"Kite Test CA", dir.path()};
  TestCa other_ca{"Some Other CA", dir.path()};

  IssuedCert server_p256;        // CN=kited, DNS:localhost, IP:127.0.0.1
  IssuedCert server_rsa;         // same names, RSA-2048
  IssuedCert server_other_name;  // DNS:push.example.com only
  IssuedCert device;             // CN=device-42
  IssuedCert device_expired;     // CN=device-expired, expired yesterday
  IssuedCert device_other_ca;    // CN=device-foreign, from other_ca
  IssuedCert device_revoked;     // CN=device-revoked, listed in `crl`
  IssuedCert device_san_dns;     // DNS:device-dns-7.devices.kite (no CN)
  IssuedCert device_san_uri;     // URI:urn:kite:device:device-uri-9 (no CN)
  IssuedCert device_no_id;       // no CN, no SAN
  std::string crl;               // ca's CRL revoking device_revoked
  std::string empty_crl;         // ca's CRL revoking nothing

  static StandardPki& get();

 private:
  StandardPki();
};

}  // namespace kite::test
