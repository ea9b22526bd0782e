#include <cstring>

#include "ossl_ptr.h"
#include "peer_certificate.h"

namespace kite::tls::detail {
namespace {

// The bytes of an ASN.1 string, or empty when they hold a NUL: "dev-1\0.evil" must not pass as
// "dev-1" to code that stops at the NUL.
std::string_view clean_text(const ASN1_STRING* text) {
  const auto* data = reinterpret_cast<const char*>(ASN1_STRING_get0_data(text));
  auto size = static_cast<std::size_t>(ASN1_STRING_length(text));
  if (!data || std::memchr(data, '\0', size)) return {};
  return {data, size};
}

std::string common_name(X509* certificate) {
  const X509_NAME* subject = X509_get_subject_name(certificate);
  int at = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (at < 0) return {};
  // Two CNs: which one is the device? Refuse rather than guess.
  if (X509_NAME_get_index_by_NID(subject, NID_commonName, at) >= 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, at));
  unsigned char* utf8 = nullptr;
  int size = ASN1_STRING_to_UTF8(&utf8, value);
  if (size <= 0) return {};
  std::string text(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(size));
  OPENSSL_free(utf8);
  return text.find('\0') == std::string::npos ? text : std::string();
}

std::string alt_name(X509* certificate, int type, std::string_view prefix) {
  GeneralNamesPtr names(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(certificate, NID_subject_alt_name, nullptr, nullptr)));
  if (!names) return {};
  for (int i = 0; i < sk_GENERAL_NAME_num(names.get()); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(names.get(), i);
    if (name->type != type) continue;
    std::string_view text =
        clean_text(type == GEN_DNS ? name->d.dNSName : name->d.uniformResourceIdentifier);
    if (text.size() <= prefix.size() || text.substr(0, prefix.size()) != prefix) continue;
    return std::string(text.substr(prefix.size()));
  }
  return {};
}

}  // namespace

std::string identity_of(X509* certificate, IdentitySource source, std::string_view uri_prefix) {
  if (!certificate) return {};
  switch (source) {
    case IdentitySource::SubjectCommonName:
      return common_name(certificate);
    case IdentitySource::SanDns:
      return alt_name(certificate, GEN_DNS, {});
    case IdentitySource::SanUri:
      return alt_name(certificate, GEN_URI, uri_prefix);
  }
  return {};
}

}  // namespace kite::tls::detail
