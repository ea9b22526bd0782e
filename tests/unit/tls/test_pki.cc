#include "test_pki.h"

#include <cstdlib>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace kite::test {
namespace {

template <auto free_fn>
struct Free {
  template <class T>
  void operator()(T* object) const {
    free_fn(object);
  }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, Free<EVP_PKEY_free>>;
using CertPtr = std::unique_ptr<X509, Free<X509_free>>;
using CrlPtr = std::unique_ptr<X509_CRL, Free<X509_CRL_free>>;
using TimePtr = std::unique_ptr<ASN1_TIME, Free<ASN1_TIME_free>>;
using BioPtr = std::unique_ptr<BIO, Free<BIO_free_all>>;

constexpr long kDay = 24 * 60 * 60;

void check(bool ok, const char* what) {
  if (ok) return;
  char reason[256];
  ERR_error_string_n(ERR_get_error(), reason, sizeof reason);
  ERR_clear_error();
  throw std::runtime_error(std::string("test PKI: ") + what + ": " + reason);
}

KeyPtr make_key(KeyKind kind) {
  KeyPtr key(kind == KeyKind::P256 ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048));
  check(key != nullptr, "key generation");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  check(ext != nullptr, "extension");
  check(X509_add_ext(cert, ext, -1) == 1, "add extension");
  X509_EXTENSION_free(ext);
}

std::string alt_names(const CertSpec& spec) {
  std::string text;
  auto add = [&](const char* type, const std::vector<std::string>& values) {
    for (const auto& value : values) {
      if (!text.empty()) text += ',';
      text.append(type).append(value);
    }
  };
  add("DNS:", spec.dns_names);
  add("IP:", spec.ip_addresses);
  add("URI:", spec.uris);
  return text;
}

// An unsigned certificate for `key` named `common_name`, issued by `issuer` (by itself when null).
CertPtr make_cert(EVP_PKEY* key, const std::string& common_name, std::uint64_t serial,
                  int from_days, int to_days, X509* issuer) {
  CertPtr cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set_uint64(X509_get_serialNumber(cert.get()), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), from_days * kDay);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), to_days * kDay);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("Kite tests"), -1, -1, 0);
  if (!common_name.empty()) {
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                               0);
  }
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  return cert;
}

void write_pem(const std::filesystem::path& path, auto write) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  check(bio != nullptr, "open PEM file");
  check(write(bio.get()) == 1, "write PEM");
}

}  // namespace

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "kite-tls-XXXXXX").string();
  check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

struct TestCa::Keys {
  KeyPtr key;
  CertPtr cert;
};

TestCa::TestCa(const std::string& name, const std::filesystem::path& dir)
    : keys_(std::make_unique<Keys>()), dir_(dir) {
  keys_->key = make_key(KeyKind::P256);
  keys_->cert = make_cert(keys_->key.get(), name, 1, -1, 365, nullptr);
  X509* cert = keys_->cert.get();
  add_extension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  add_extension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(cert, cert, NID_subject_key_identifier, "hash");
  check(X509_sign(cert, keys_->key.get(), EVP_sha256()) > 0, "sign CA");
  std::string stem = name;
  for (char& c : stem) c = c == ' ' ? '-' : c;
  ca_file_ = (dir_ / (stem + "-ca.pem")).string();
  write_pem(ca_file_, [&](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

TestCa::~TestCa() = default;

IssuedCert TestCa::issue(const std::string& stem, const CertSpec& spec) {
  KeyPtr key = make_key(spec.key);
  std::uint64_t serial = next_serial_++;
  CertPtr cert = make_cert(key.get(), spec.common_name, serial, spec.valid_from_days,
                           spec.valid_to_days, keys_->cert.get());
  X509* ca = keys_->cert.get();
  add_extension(cert.get(), ca, NID_basic_constraints, "critical,CA:FALSE");
  add_extension(cert.get(), ca, NID_key_usage,
                spec.key == KeyKind::P256 ? "critical,digitalSignature"
                                          : "critical,digitalSignature,keyEncipherment");
  add_extension(cert.get(), ca, NID_ext_key_usage,
                spec.usage == Usage::Server ? "serverAuth" : "clientAuth");
  add_extension(cert.get(), ca, NID_authority_key_identifier, "keyid:always");
  if (std::string names = alt_names(spec); !names.empty())
    add_extension(cert.get(), ca, NID_subject_alt_name, names);
  check(X509_sign(cert.get(), keys_->key.get(), EVP_sha256()) > 0, "sign certificate");

  IssuedCert issued{(dir_ / (stem + ".pem")).string(), (dir_ / (stem + "-key.pem")).string(),
                    serial};
  write_pem(issued.certificate, [&](BIO* bio) {
    return PEM_write_bio_X509(bio, cert.get()) == 1 && PEM_write_bio_X509(bio, ca) == 1 ? 1 : 0;
  });
  write_pem(issued.key, [&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  return issued;
}

std::string TestCa::write_crl(const std::string& stem,
                              const std::vector<std::uint64_t>& revoked_serials) {
  CrlPtr crl(X509_CRL_new());
  check(crl != nullptr, "X509_CRL_new");
  X509_CRL_set_version(crl.get(), X509_CRL_VERSION_2);
  X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(keys_->cert.get()));
  TimePtr last_update(X509_gmtime_adj(nullptr, -kDay));
  TimePtr next_update(X509_gmtime_adj(nullptr, 30 * kDay));
  X509_CRL_set1_lastUpdate(crl.get(), last_update.get());
  X509_CRL_set1_nextUpdate(crl.get(), next_update.get());
  for (std::uint64_t serial : revoked_serials) {
    X509_REVOKED* entry = X509_REVOKED_new();
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ASN1_INTEGER_set_uint64(number, serial);
    X509_REVOKED_set_serialNumber(entry, number);
    X509_REVOKED_set_revocationDate(entry, last_update.get());
    ASN1_INTEGER_free(number);
    X509_CRL_add0_revoked(crl.get(), entry);  // takes ownership
  }
  X509_CRL_sort(crl.get());
  check(X509_CRL_sign(crl.get(), keys_->key.get(), EVP_sha256()) > 0, "sign CRL");
  std::string file = (dir_ / (stem + "-crl.pem")).string();
  write_pem(file, [&](BIO* bio) { return PEM_write_bio_X509_CRL(bio, crl.get()); });
  return file;
}

StandardPki::StandardPki() {
  const CertSpec server{.common_name = "kited",
                        .dns_names = {"localhost"},
                        .ip_addresses = {"127.0.0.1"},
                        .usage = Usage::Server};
  server_p256 = ca.issue("server-p256", server);
  CertSpec rsa = server;
  rsa.key = KeyKind::Rsa2048;
  server_rsa = ca.issue("server-rsa", rsa);
  server_other_name =
      ca.issue("server-other-name", {.dns_names = {"push.example.com"}, .usage = Usage::Server});
  device = ca.issue("device", {.common_name = "device-42"});
  device_expired =
      ca.issue("device-expired",
               {.common_name = "device-expired", .valid_from_days = -30, .valid_to_days = -1});
  device_other_ca = other_ca.issue("device-other-ca", {.common_name = "device-foreign"});
  device_revoked = ca.issue("device-revoked", {.common_name = "device-revoked"});
  device_san_dns = ca.issue("device-san-dns", {.dns_names = {"device-dns-7.devices.kite"}});
  device_san_uri = ca.issue("device-san-uri", {.uris = {"urn:kite:device:device-uri-9"}});
  device_no_id = ca.issue("device-no-id", {});
  crl = ca.write_crl("ca", {device_revoked.serial});
  empty_crl = ca.write_crl("ca-empty", {});
}

StandardPki& StandardPki::get() {
  static StandardPki pki;
  return pki;
}

}  // namespace kite::test
