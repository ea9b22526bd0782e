#include "resumption.h"

#include <array>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>

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

// What each ticket carries besides the session (its app data): the trust epoch of the context
// that issued it (see still_trusted) and when the full handshake behind it took place.
struct TicketStamp {
  std::array<unsigned char, 16> epoch{};
  std::int64_t handshake_s = 0;  // Unix seconds
};
static_assert(sizeof(TicketStamp::epoch) == sizeof(TlsContext::Impl::trust_epoch));

std::int64_t clock_now(const TlsSettings& settings) {
  return settings.clock ? settings.clock() : static_cast<std::int64_t>(std::time(nullptr));
}

std::optional<TicketStamp> stamp_of(SSL_SESSION* session) {
  void* data = nullptr;
  std::size_t size = 0;
  if (SSL_SESSION_get0_ticket_appdata(session, &data, &size) != 1 || size != sizeof(TicketStamp))
    return std::nullopt;
  TicketStamp stamp;
  std::memcpy(&stamp, data, sizeof stamp);
  return stamp;
}

// Resuming skips certificate verification, so a ticket's certificate is checked again first:
// never when it expired since or a CRL of this context revokes it; and when the ticket comes
// from another context (issued before a SIGHUP reload, whose CA bundle may have dropped the
// device's CA), only if the certificate verifies against this context's trust now.
bool still_trusted(SSL* ssl, SSL_SESSION* session, const TicketStamp& stamp) {
  X509* peer = SSL_SESSION_get0_peer(session);
  if (!peer) return true;  // no client certificate was asked for or given: nothing to recheck
  const TlsContext::Impl& impl = TlsContext::Impl::of(ssl);
  if (X509_cmp_current_time(X509_get0_notAfter(peer)) <= 0) return false;
  if (impl.revoked(peer)) return false;
  if (CRYPTO_memcmp(stamp.epoch.data(), impl.trust_epoch.data(), stamp.epoch.size()) == 0)
    return true;
  return verifies_now(ssl, peer);
}

// Whether `session` may resume now: a ticket without Kite's stamp (not ours, or malformed) never;
// one whose full handshake is older than ticket_max_age_s never, so that a ticket copied from a
// device (the whole credential when a device logs in with its certificate alone) expires.
bool may_resume(SSL* ssl, SSL_SESSION* session) {
  const TlsContext::Impl& impl = TlsContext::Impl::of(ssl);
  std::optional<TicketStamp> stamp = stamp_of(session);
  if (!stamp) return false;
  const std::int64_t age = clock_now(impl.settings) - stamp->handshake_s;
  if (age < 0 || age > impl.settings.ticket_max_age_s) return false;
  return still_trusted(ssl, session, *stamp);
}

// Stamps each ticket with the context's epoch and the time of the full handshake; a ticket made
// on a resumed connection (none are, see on_ticket) would keep the original time.
int on_generate_ticket(SSL* ssl, void* /*arg*/) {
  const TlsContext::Impl& impl = TlsContext::Impl::of(ssl);
  SSL_SESSION* session = SSL_get_session(ssl);
  TicketStamp stamp;
  stamp.epoch = impl.trust_epoch;
  stamp.handshake_s = clock_now(impl.settings);
  if (SSL_session_reused(ssl) == 1)
    if (auto previous = stamp_of(session)) stamp.handshake_s = previous->handshake_s;
  return SSL_SESSION_set1_ticket_appdata(session, &stamp, sizeof stamp);
}

// OpenSSL decrypted a ticket; one that may not resume gets a full handshake instead (which then
// checks the certificate, or refuses it). A resumed connection gets no fresh ticket (USE, not
// USE_RENEW): a ticket never outlives ticket_max_age_s after a full handshake, and the device's
// next connection after a resumed one makes a full handshake.
SSL_TICKET_RETURN on_ticket(SSL* ssl, SSL_SESSION* session, const unsigned char* /*key_name*/,
                            size_t /*key_name_size*/, SSL_TICKET_STATUS status, void* /*arg*/) {
  switch (status) {
    case SSL_TICKET_NONE:
    case SSL_TICKET_EMPTY:
    case SSL_TICKET_NO_DECRYPT:
      return SSL_TICKET_RETURN_IGNORE_RENEW;
    case SSL_TICKET_SUCCESS:
    case SSL_TICKET_SUCCESS_RENEW:
      return may_resume(ssl, session) ? SSL_TICKET_RETURN_USE : SSL_TICKET_RETURN_IGNORE_RENEW;
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
  // The lifetime the client is told, and OpenSSL's own check: the same as may_resume's.
  SSL_CTX_set_timeout(ctx, static_cast<long>(settings.ticket_max_age_s));
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
