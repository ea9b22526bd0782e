#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "ossl_ptr.h"
#include "peer_certificate.h"

namespace kite::tls::detail {
namespace {

std::string serial_hex(const ASN1_INTEGER* serial) {
  BignumPtr number(ASN1_INTEGER_to_BN(serial, nullptr));
  if (!number) return {};
  char* hex = BN_bn2hex(number.get());
  if (!hex) return {};
  std::string text(hex);
  OPENSSL_free(hex);
  return text;
}

std::string name_text(const X509_NAME* name) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || X509_NAME_print_ex(bio.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  long size = BIO_get_mem_data(bio.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

std::vector<std::uint8_t> name_der(const X509_NAME* name) {
  unsigned char* der = nullptr;
  int size = i2d_X509_NAME(name, &der);
  if (size <= 0) return {};
  std::vector<std::uint8_t> bytes(der, der + size);
  OPENSSL_free(der);
  return bytes;
}

}  // namespace

CertificateId certificate_id_of(X509* certificate) {
  if (!certificate) return {};
  const X509_NAME* issuer = X509_get_issuer_name(certificate);
  return {serial_hex(X509_get0_serialNumber(certificate)), name_text(issuer), name_der(issuer)};
}

}  // namespace kite::tls::detail
