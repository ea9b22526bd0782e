#include "failure_reason.h"

#include <vector>

#include <openssl/err.h>
#include <openssl/x509_vfy.h>

#include "context_impl.h"
#include "verification.h"

namespace kite::tls::detail {
namespace {

// Pops the whole queue. The oldest libssl error is the cause; later ones are consequences.
struct ErrorQueue {
  unsigned long cause = 0;
  std::string text;  // every reason, oldest first, for errors without a better sentence
};

ErrorQueue take_queue() {
  ErrorQueue queue;
  unsigned long first = 0;
  while (unsigned long code = ERR_get_error()) {
    if (!first) first = code;
    if (!queue.cause && ERR_GET_LIB(code) == ERR_LIB_SSL) queue.cause = code;
    const char* reason = ERR_reason_error_string(code);
    std::string one = reason ? reason : "error " + std::to_string(ERR_GET_REASON(code));
    if (queue.text.find(one) != std::string::npos) continue;
    if (!queue.text.empty()) queue.text += "; ";
    queue.text += one;
  }
  if (!queue.cause) queue.cause = first;
  return queue;
}

std::string verify_text(long result, const TlsSettings& settings) {
  switch (result) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return "certificate has expired";
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate is not yet valid";
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
      return "unknown CA (not issued by a CA in the trusted bundle)";
    case X509_V_ERR_CERT_REVOKED:
      return "certificate revoked";
    case X509_V_ERR_UNABLE_TO_GET_CRL:
      return "no CRL loaded for the certificate's issuer";
    case X509_V_ERR_CRL_HAS_EXPIRED:
      return "the issuer's CRL is past its next update";
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return "hostname mismatch (certificate is not for '" + settings.server_name + "')";
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return "IP address mismatch (certificate is not for '" + settings.server_name + "')";
    case kNoDeviceIdError: {
      std::string where(identity_source_name(settings.identity_source));
      if (settings.identity_source == IdentitySource::SanUri &&
          !settings.identity_uri_prefix.empty())
        where += " starting with '" + settings.identity_uri_prefix + "'";
      return "no device id in its " + where;
    }
    default:
      return X509_verify_cert_error_string(result);
  }
}

// "sslv3 alert certificate expired", "tlsv13 alert certificate required" -> the alert's name.
std::string alert_name(unsigned long code) {
  const char* text = ERR_reason_error_string(code);
  if (!text) return "alert " + std::to_string(ERR_GET_REASON(code) - SSL_AD_REASON_OFFSET);
  std::string name(text);
  auto at = name.find("alert ");
  return at == std::string::npos ? name : name.substr(at + 6);
}

}  // namespace

FailureText describe_ssl_failure(SSL* ssl, int ssl_error) {
  const TlsSettings& settings = TlsContext::Impl::of(ssl).settings;
  std::string peer = settings.role == Role::Server ? "client" : "server";
  ErrorQueue queue = take_queue();
  int reason = ERR_GET_REASON(queue.cause);
  if (queue.cause && ERR_GET_LIB(queue.cause) == ERR_LIB_SSL) {
    if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED) {
      return {Failure::PeerCertificateRejected,
              peer + " certificate rejected: " + verify_text(SSL_get_verify_result(ssl), settings)};
    }
    if (reason == SSL_R_PEER_DID_NOT_RETURN_A_CERTIFICATE)
      return {Failure::PeerCertificateMissing, "client sent no certificate, and one is required"};
    if (reason >= SSL_AD_REASON_OFFSET && reason < SSL_AD_REASON_OFFSET + 256)
      return {Failure::AlertReceived, peer + " sent alert: " + alert_name(queue.cause)};
    if (reason == SSL_R_UNSUPPORTED_PROTOCOL) {
      return {Failure::Protocol, "no TLS version in common with the " + peer + " (this end: " +
                                     std::string(tls_version_name(settings.min_version)) + " to " +
                                     std::string(tls_version_name(settings.max_version)) + ")"};
    }
  }
  if (queue.text.empty()) {
    // With memory BIOs OpenSSL has no reason to fail silently: report what it returned.
    return {Failure::Internal,
            "TLS failed without a reason (SSL_get_error " + std::to_string(ssl_error) + ")"};
  }
  return {Failure::Protocol, "TLS error: " + queue.text};
}

}  // namespace kite::tls::detail
