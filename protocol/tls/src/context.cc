// Building a TlsContext: one SSL_CTX configured from TlsSettings, in the order OpenSSL needs it
// (protocol limits, own certificate, trust, verification, resumption).
#include "kite/tls/context.h"

#include <openssl/err.h>

#include "context_impl.h"
#include "credentials.h"
#include "openssl_errors.h"
#include "resumption.h"
#include "verification.h"

namespace kite::tls {
namespace {

// TLS 1.3 suites, AES-128-GCM first: as strong as a 128-bit key exchange needs, and faster than
// OpenSSL's default first choice, AES-256-GCM.
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
// TLS 1.2, when allowed: forward-secret key exchange and AEAD ciphers only.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
// Key exchange groups, cheapest first.
constexpr const char* kGroups = "X25519:P-256:P-384";

int openssl_version(TlsVersion version) {
  return version == TlsVersion::V1_2 ? TLS1_2_VERSION : TLS1_3_VERSION;
}

std::string check_settings(const TlsSettings& settings) {
  if (settings.min_version > settings.max_version) return "min_version is above max_version";
  bool server = settings.role == Role::Server;
  if (server && settings.certificate_chain_file.empty())
    return "a server needs certificate_chain_file and private_key_file";
  if (settings.certificate_chain_file.empty() != settings.private_key_file.empty())
    return "certificate_chain_file and private_key_file go together";
  if (server && settings.client_certificates != ClientCertificates::None &&
      settings.ca_file.empty())
    return "client certificates are requested but no ca_file verifies them";
  if (server && settings.session_tickets && settings.ticket_max_age_s <= 0)
    return "ticket_max_age_s must be positive";
  return {};
}

std::string configure_protocol(SSL_CTX* ctx, const TlsSettings& settings) {
  SSL_CTX_set_min_proto_version(ctx, openssl_version(settings.min_version));
  SSL_CTX_set_max_proto_version(ctx, openssl_version(settings.max_version));
  // Renegotiation (TLS 1.2) lets a peer make the server redo expensive work at will.
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (settings.release_idle_buffers) SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1 ||
      SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1)
    return "cannot set ciphers and groups: " + detail::take_openssl_errors();
  return {};
}

std::string configure_trust(TlsContext::Impl& impl) {
  const TlsSettings& settings = impl.settings;
  SSL_CTX* ctx = impl.ctx.get();
  bool server = settings.role == Role::Server;
  if (server && settings.client_certificates == ClientCertificates::None) return {};
  if (!settings.ca_file.empty()) {
    if (auto error = detail::load_trusted_cas(ctx, settings.ca_file, server); !error.empty())
      return error;
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    return "cannot load the system's trusted CAs: " + detail::take_openssl_errors();
  }
  if (settings.crl_file.empty()) return {};
  return detail::load_crls(ctx, settings.crl_file, impl.crls);
}

std::string configure(TlsContext::Impl& impl, const TlsContext* previous) {
  const TlsSettings& settings = impl.settings;
  SSL_CTX* ctx = impl.ctx.get();
  if (auto error = configure_protocol(ctx, settings); !error.empty()) return error;
  if (!settings.certificate_chain_file.empty()) {
    auto error = detail::load_own_certificate(ctx, settings.certificate_chain_file,
                                              settings.private_key_file);
    if (!error.empty()) return error;
  }
  if (auto error = configure_trust(impl); !error.empty()) return error;
  if (auto error = detail::configure_verification(ctx, settings); !error.empty()) return error;
  if (settings.role == Role::Client) {
    detail::configure_client_sessions(ctx, settings);
    // SNI carries DNS names only; an IP address is matched against the certificate instead.
    char* ip = X509_VERIFY_PARAM_get1_ip_asc(SSL_CTX_get0_param(ctx));
    impl.sni = !settings.server_name.empty() && !ip;
    OPENSSL_free(ip);
    return {};
  }
  detail::configure_server_tickets(impl);
  const TlsSettings* before = previous ? &previous->settings() : nullptr;
  if (before && before->role == Role::Server && before->session_tickets && settings.session_tickets)
    return detail::copy_ticket_keys(previous->native_handle(), ctx);
  return {};
}

}  // namespace

TlsContext::Created TlsContext::create(const TlsSettings& settings, const TlsContext* previous) {
  if (auto error = check_settings(settings); !error.empty()) return {nullptr, error};
  ERR_clear_error();
  auto impl = std::make_unique<Impl>();
  impl->settings = settings;
  impl->ctx.reset(
      SSL_CTX_new(settings.role == Role::Server ? TLS_server_method() : TLS_client_method()));
  if (!impl->ctx) return {nullptr, "cannot create a TLS context: " + detail::take_openssl_errors()};
  SSL_CTX_set_app_data(impl->ctx.get(), impl.get());
  std::string error = configure(*impl, previous);
  ERR_clear_error();
  if (!error.empty()) return {nullptr, error};
  return {std::shared_ptr<const TlsContext>(new TlsContext(std::move(impl))), {}};
}

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TlsContext::~TlsContext() = default;

const TlsSettings& TlsContext::settings() const {
  return impl_->settings;
}

ssl_ctx_st* TlsContext::native_handle() const {
  return impl_->ctx.get();
}

bool TlsContext::revoked(const CertificateId& certificate) const {
  if (certificate.empty() || impl_->crls.empty()) return false;
  BIGNUM* number = nullptr;
  if (BN_hex2bn(&number, certificate.serial.c_str()) == 0) return false;
  detail::BignumPtr owned(number);
  detail::Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(number, nullptr));
  const unsigned char* der = certificate.issuer_der.data();
  detail::X509NamePtr issuer(
      d2i_X509_NAME(nullptr, &der, static_cast<long>(certificate.issuer_der.size())));
  ERR_clear_error();  // a malformed id is "not revoked", not an error for the next caller
  if (!serial || !issuer) return false;
  return impl_->revoked(issuer.get(), serial.get());
}

}  // namespace kite::tls
