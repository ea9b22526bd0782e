#include "resumption.h"

#include <array>

#include <openssl/crypto.h>

#include "context_impl.h"

namespace kite::tls::detail {
namespace {

// A session ID context is required for resumption when client certificates are verified: it
// names the "application" a session belongs to, and OpenSSL refuses to resume without one.
constexpr unsigned char kSessionIdContext[] = "kite";

// OpenSSL decrypted a ticket; resuming would skip verification, so a ticket for a certificate
// that a CRL of this context revokes gets a full handshake instead (which then refuses it).
// Resumed connections are always sent fresh tickets (USE_RENEW): clients use each ticket once.
SSL_TICKET_RETURN on_ticket(SSL* ssl, SSL_SESSION* session, const unsigned char* /*key_name*/,
                            size_t /*key_name_size*/, SSL_TICKET_STATUS status, void* /*arg*/) {
  switch (status) {
    case SSL_TICKET_NONE:
    case SSL_TICKET_EMPTY:
    case SSL_TICKET_NO_DECRYPT:
      return SSL_TICKET_RETURN_IGNORE_RENEW;
    case SSL_TICKET_SUCCESS:
    case SSL_TICKET_SUCCESS_RENEW:
      if (TlsContext::Impl::of(ssl).revoked(SSL_SESSION_get0_peer(session)))
        return SSL_TICKET_RETURN_IGNORE_RENEW;
      return SSL_TICKET_RETURN_USE_RENEW;
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

void configure_server_tickets(SSL_CTX* ctx, const TlsSettings& settings) {
  SSL_CTX_set_session_id_context(ctx, kSessionIdContext, sizeof kSessionIdContext - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  if (!settings.session_tickets) {
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    SSL_CTX_set_num_tickets(ctx, 0);
    return;
  }
  SSL_CTX_set_num_tickets(ctx, settings.tickets_per_handshake);
  SSL_CTX_set_session_ticket_cb(ctx, nullptr, on_ticket, nullptr);
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
