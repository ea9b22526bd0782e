// What a TlsContext holds, shared by the files of this library (the public header shows none of
// OpenSSL's types). OpenSSL's callbacks find it through the SSL_CTX's app data.
#pragma once

#include <array>
#include <mutex>
#include <vector>

#include "kite/tls/context.h"
#include "ossl_ptr.h"

namespace kite::tls {

struct TlsContext::Impl {
  TlsSettings settings;
  detail::SslCtxPtr ctx;
  std::vector<detail::X509CrlPtr> crls;  // also in ctx's store; kept here for revoked()
  bool sni = false;                      // client: server_name is a DNS name (not an IP)
  // Server: random per context, stamped into the tickets it issues. A ticket from another
  // context (one before a SIGHUP reload) had its certificate verified under other trust
  // settings, so it is verified again before it may resume (resumption.cc).
  std::array<unsigned char, 16> trust_epoch{};

  // Client: the newest session ticket, offered once by the next channel.
  mutable std::mutex session_mutex;
  mutable detail::SslSessionPtr saved_session;

  // The Impl of the context `ctx` belongs to (set by create()).
  static const Impl& of(const SSL_CTX* ctx);
  static const Impl& of(const SSL* ssl) { return of(SSL_get_SSL_CTX(ssl)); }

  // True when a loaded CRL from `issuer` lists `serial`.
  bool revoked(const X509_NAME* issuer, const ASN1_INTEGER* serial) const;
  bool revoked(X509* certificate) const;

  void save_session(SSL_SESSION* session) const;  // takes ownership
  detail::SslSessionPtr take_session() const;     // null when none is saved
};

}  // namespace kite::tls
