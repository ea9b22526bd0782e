#include "resumption.h"

#include <array>
#include <memory>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include "context_impl.h"

namespace kite::tls::detail {
namespace {

// A session ID context is required for resumption when client certificates are verified: it
// names the "application" a session belongs to, and OpenSSL refuses to resume without one.
constexpr unsigned char kSessionIdContext[] = "kite";

// Whether the certificate behind `leaf` still verifies against `ssl`'s trust store now (CA
// bundle, CRLs, validity dates). The ticket keeps the leaf only: a device whose chain needs an
// intermediate it sent in the handshake fails here and simply gets a full handshake.
bool verifies_now(SSL* ssl, X509* leaf) {
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> check(X509_STORE_CTX_new(),
                                                                        X509_STORE_CTX_free);
  bool ok = check &&
            X509_STORE_CTX_init(check.get(), SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl)), leaf,
                                nullptr) == 1 &&
            X509_STORE_CTX_set_default(check.get(), "ssl_client") == 1 &&
            X509_verify_cert(check.get()) == 1;
  ERR_clear_error();
  return ok;
}

// Resuming skips certificate verification, so a ticket's certificate is checked again first:
// never when it expired since or a CRL of this context revokes it; and when the ticket comes
// from another context (issued before a SIGHUP reload, whose CA bundle may have dropped the
// device's CA), only if the certificate verifies against this context's trust now.
bool still_trusted(SSL* ssl, SSL_SESSION* session) {
  X509* peer = SSL_SESSION_get0_peer(session);
  if (!peer) return true;  // no client certificate was asked for or given: nothing to recheck
  const TlsContext::Impl& impl = TlsContext::Impl::of(ssl);
  if (X509_cmp_current_time(X509_get0_notAfter(peer)) <= 0) return false;
  if (impl.revoked(peer)) return false;
  void* stamp = nullptr;
  std::size_t stamp_size = 0;
  if (SSL_SESSION_get0_ticket_appdata(session, &stamp, &stamp_size) == 1 &&
      stamp_size == impl.trust_epoch.size() &&
      CRYPTO_memcmp(stamp, impl.trust_epoch.data(), stamp_size) == 0)
    return true;
  return verifies_now(ssl, peer);
}

// Each ticket carries the epoch of the context that issued it (see still_trusted).
int on_generate_ticket(SSL* ssl, void* /*arg*/) {
  const auto& epoch = TlsContext::Impl::of(ssl).trust_epoch;
  return SSL_SESSION_set1_ticket_appdata(SSL_get_session(ssl), epoch.data(), epoch.size());
}

// OpenSSL decrypted a ticket; a certificate no longer trusted gets a full handshake instead
// (which then refuses it). Resumed connections are always sent fresh tickets (USE_RENEW):
// clients use each ticket once.
SSL_TICKET_RETURN on_ticket(SSL* ssl, SSL_SESSION* session, const unsigned char* /*key_name*/,
                            size_t /*key_name_size*/, SSL_TICKET_STATUS status, void* /*arg*/) {
  switch (status) {
    case SSL_TICKET_NONE:
    case SSL_TICKET_EMPTY:
    case SSL_TICKET_NO_DECRYPT:
      return SSL_TICKET_RETURN_IGNORE_RENEW;
    case SSL_TICKET_SUCCESS:
    case SSL_TICKET_SUCCESS_RENEW:
      return still_trusted(ssl, session) ? SSL_TICKET_RETURN_USE_RENEW
                                         : SSL_TICKET_RETURN_IGNORE_RENEW;
    default:
      return SSL_TICKET_RETURN_ABORT;
  }
}

// A NewSessionTicket arrived on a client channel. The slot keeps a copy: OpenSSL marks the
// channel's own session object unresumable when the channel is freed without close_notify, which
// is how most connections end. Returning 0 leaves OpenSSL's reference to OpenSSL.
int on_new_session(SSL* ssl, SSL_SESSION* session) {
  if (!SSL_SESSION_is_resumable(session)) return 0;
  if (SSL_SESSION* copy = SSL_SESSION_dup(session)) TlsContext::Impl::of(ssl).save_session(copy);
  return 0;
}

}  // namespace

void configure_server_tickets(TlsContext::Impl& impl) {
  SSL_CTX* ctx = impl.ctx.get();
  const TlsSettings& settings = impl.settings;
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (!settings.session_tickets) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    return;
  }
  SSL_CTX_set_num_tickets(ctx, settings.tickets_per_handshake);
  RAND_bytes(impl.trust_epoch.data(), static_cast<int>(impl.trust_epoch.size()));
  SSL_CTX_set_session_ticket_cb(ctx, on_generate_ticket, on_ticket, nullptr);
}

void configure_client_sessions(SSL_CTX* ctx, const TlsSettings& settings) {
  if (!settings.session_tickets) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    return;
  }
  // The context's one slot replaces OpenSSL's internal client cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

std::string copy_ticket_keys(SSL_CTX* from, SSL_CTX* to) {
  // 16 bytes of key name, 32 of HMAC key, 32 of AES key.
  std::array<unsigned char, 80> keys{};
  bool copied = SSL_CTX_get_tlsext_ticket_keys(from, keys.data(), keys.size()) == 1 &&
                SSL_CTX_set_tlsext_ticket_keys(to, keys.data(), keys.size()) == 1;
  OPENSSL_cleanse(keys.data(), keys.size());
  return copied ? std::string() : std::string("cannot carry the session ticket keys over");
}

}  // namespace kite::tls::detail
