#include "verification.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "context_impl.h"
#include "openssl_errors.h"
#include "peer_certificate.h"

namespace kite::tls::detail {
namespace {

// Runs once per certificate of the client's chain, after OpenSSL's own check of it. The leaf
// (depth 0) must also name a device, or kited would accept a connection it cannot attribute.
int verify_client(int preverify_ok, X509_STORE_CTX* store) {
  if (!preverify_ok || X509_STORE_CTX_get_error_depth(store) != 0) return preverify_ok;
  auto* ssl =
      static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  const TlsSettings& settings = TlsContext::Impl::of(ssl).settings;
  X509* leaf = X509_STORE_CTX_get_current_cert(store);
  if (identity_of(leaf, settings.identity_source, settings.identity_uri_prefix).empty()) {
    X509_STORE_CTX_set_error(store, kNoDeviceIdError);
    return 0;
  }
  return 1;
}

int server_verify_mode(ClientCertificates policy) {
  switch (policy) {
    case ClientCertificates::None:
      return SSL_VERIFY_NONE;
    case ClientCertificates::Optional:
      return SSL_VERIFY_PEER;
    case ClientCertificates::Required:
      return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
  }
  return SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
}

// The name the server's certificate must carry: an IP address is matched against its IP SANs,
// a DNS name against its DNS SANs (no partial wildcards such as "k*.example.com").
std::string expect_server_name(SSL_CTX* ctx, const std::string& name) {
  if (name.empty()) return {};
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ctx);
  if (X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) == 1) return {};
  ERR_clear_error();  // not an IP address: a DNS name
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (X509_VERIFY_PARAM_set1_host(param, name.c_str(), name.size()) != 1)
    return "server name '" + name + "': " + take_openssl_errors();
  return {};
}

}  // namespace

std::string configure_verification(SSL_CTX* ctx, const TlsSettings& settings) {
  if (settings.role == Role::Client) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    return expect_server_name(ctx, settings.server_name);
  }
  int mode = server_verify_mode(settings.client_certificates);
  SSL_CTX_set_verify(ctx, mode, mode == SSL_VERIFY_NONE ? nullptr : verify_client);
  return {};
}

}  // namespace kite::tls::detail
