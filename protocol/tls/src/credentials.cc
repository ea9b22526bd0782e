#include "credentials.h"

#include <cerrno>
#include <cstdio>
#include <system_error>

#include <openssl/err.h>
#include <openssl/pem.h>

#include "openssl_errors.h"

namespace kite::tls::detail {
namespace {

// OpenSSL's message for a missing file is "system lib"; check readability first to say more.
std::string unreadable(const char* what, const std::string& path) {
  if (path.empty()) return std::string(what) + ": no file given";
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) {
    return std::string(what) + " " + path + ": cannot open (" +
           std::generic_category().message(errno) + ")";
  }
  std::fclose(file);
  return {};
}

std::string failed(const char* what, const std::string& path) {
  std::string reason = take_openssl_errors();
  return std::string(what) + " " + path + ": " + (reason.empty() ? "unusable" : reason);
}

bool key_mismatch(unsigned long error) {
  int reason = ERR_GET_REASON(error);
  return ERR_GET_LIB(error) == ERR_LIB_X509 &&
         (reason == X509_R_KEY_VALUES_MISMATCH || reason == X509_R_KEY_TYPE_MISMATCH);
}

}  // namespace

std::string load_own_certificate(SSL_CTX* ctx, const std::string& chain_file,
                                 const std::string& key_file) {
  if (auto error = unreadable("certificate chain", chain_file); !error.empty()) return error;
  if (auto error = unreadable("private key", key_file); !error.empty()) return error;
  ERR_clear_error();
  if (SSL_CTX_use_certificate_chain_file(ctx, chain_file.c_str()) != 1)
    return failed("certificate chain", chain_file);
  // Both calls refuse a key that belongs to another certificate: use_PrivateKey_file one of
  // another type or, for some types, other values; check_private_key any other.
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    bool mismatch = key_mismatch(ERR_peek_error());
    std::string reason = take_openssl_errors();
    if (!mismatch) return "private key " + key_file + ": no PEM private key in it (" + reason + ")";
    return "private key " + key_file + " does not match certificate " + chain_file + " (" + reason +
           ")";
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    // A key of another type than the certificate's lands in a slot of its own, with no
    // certificate: OpenSSL then says "no certificate assigned".
    bool other_type = ERR_GET_REASON(ERR_peek_error()) == SSL_R_NO_CERTIFICATE_ASSIGNED;
    std::string reason = take_openssl_errors();
    return "private key " + key_file + " does not match certificate " + chain_file + " (" +
           (other_type ? "a key of another type" : reason) + ")";
  }
  return {};
}

std::string load_trusted_cas(SSL_CTX* ctx, const std::string& ca_file, bool advertise) {
  if (auto error = unreadable("CA file", ca_file); !error.empty()) return error;
  ERR_clear_error();
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1)
    return failed("CA file", ca_file);
  if (advertise) {
    STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(ca_file.c_str());
    if (!names) return failed("CA file", ca_file);
    SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  }
  return {};
}

std::string load_crls(SSL_CTX* ctx, const std::string& crl_file, std::vector<X509CrlPtr>& crls) {
  if (auto error = unreadable("CRL file", crl_file); !error.empty()) return error;
  ERR_clear_error();
  BioPtr bio(BIO_new_file(crl_file.c_str(), "r"));
  if (!bio) return failed("CRL file", crl_file);
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  while (X509_CRL* crl = PEM_read_bio_X509_CRL(bio.get(), nullptr, nullptr, nullptr)) {
    crls.emplace_back(crl);
    if (X509_STORE_add_crl(store, crl) != 1) return failed("CRL file", crl_file);
  }
  // The loop ends on "no start line" at the end of the file; anything else is a broken CRL.
  unsigned long last = ERR_peek_last_error();
  bool clean_end = last == 0 || ERR_GET_REASON(last) == PEM_R_NO_START_LINE;
  if (crls.empty()) return "CRL file " + crl_file + ": no CRL in it";
  if (!clean_end) return failed("CRL file", crl_file);
  ERR_clear_error();
  X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
  return {};
}

}  // namespace kite::tls::detail
