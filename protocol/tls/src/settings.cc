#include "kite/tls/settings.h"

namespace kite::tls {

std::optional<TlsVersion> parse_tls_version(std::string_view text) {
  if (text == "1.2") return TlsVersion::V1_2;
  if (text == "1.3") return TlsVersion::V1_3;
  return std::nullopt;
}

std::string_view tls_version_name(TlsVersion version) {
  return version == TlsVersion::V1_2 ? "1.2" : "1.3";
}

std::string_view identity_source_name(IdentitySource source) {
  switch (source) {
    case IdentitySource::SubjectCommonName:
      return "subject CN";
    case IdentitySource::SanDns:
      return "SAN DNS";
    case IdentitySource::SanUri:
      return "SAN URI";
  }
  return "?";
}

}  // namespace kite::tls
