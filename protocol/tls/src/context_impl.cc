#include "context_impl.h"

namespace kite::tls {

const TlsContext::Impl& TlsContext::Impl::of(const SSL_CTX* ctx) {
  return *static_cast<const Impl*>(SSL_CTX_get_app_data(ctx));
}

bool TlsContext::Impl::revoked(const X509_NAME* issuer, const ASN1_INTEGER* serial) const {
  for (const auto& crl : crls) {
    if (X509_NAME_cmp(X509_CRL_get_issuer(crl.get()), issuer) != 0) continue;
    X509_REVOKED* entry = nullptr;
    // 1: listed. 2: listed as removeFromCRL (a delta CRL un-revoking it), which is not revoked.
    if (X509_CRL_get0_by_serial(crl.get(), &entry, serial) == 1) return true;
  }
  return false;
}

bool TlsContext::Impl::revoked(X509* certificate) const {
  if (crls.empty() || !certificate) return false;
  return revoked(X509_get_issuer_name(certificate), X509_get0_serialNumber(certificate));
}

void TlsContext::Impl::save_session(SSL_SESSION* session) const {
  std::lock_guard lock(session_mutex);
  saved_session.reset(session);
}

detail::SslSessionPtr TlsContext::Impl::take_session() const {
  std::lock_guard lock(session_mutex);
  return std::move(saved_session);
}

}  // namespace kite::tls
