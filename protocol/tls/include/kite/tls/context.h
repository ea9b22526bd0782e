// TlsContext: the loaded, checked form of a TlsSettings (OpenSSL's SSL_CTX), from which every
// TlsChannel of one listener (server) or one device (client) is made.
//
//   auto created = kite::tls::TlsContext::create(settings);
//   if (!created.context) log("tls: {}", created.error);  // names the file and OpenSSL's reason
//   kite::tls::TlsChannel channel(created.context);
//
// Rules it keeps:
//  - immutable once created, and safe to share between threads: every worker loop of kited makes
//    its channels from the same context (shared_ptr), so TLS 1.3 session tickets sealed by one
//    worker resume on any other;
//  - a reload (new certificate, CA bundle or CRL on SIGHUP) builds a new context; channels keep
//    the context they were made with until they close. Pass the old context as `previous` to keep
//    its ticket keys, so devices still resume after the reload. Keys carried over live on until a
//    context is built without `previous`: do that now and then (daily, say), since whoever steals
//    the keys can open every ticket still in use, and pose as kited to devices that resume;
//  - a resumed session skips certificate verification, so the server refuses to resume a ticket
//    whose certificate is revoked() in this context: that device gets a full handshake, which
//    the CRL check then refuses;
//  - client: the newest session ticket received on any channel is kept (one slot, under a mutex)
//    and offered, once, by the next channel.
#pragma once

#include <memory>
#include <string>

#include "kite/tls/certificate_id.h"
#include "kite/tls/settings.h"

struct ssl_ctx_st;  // OpenSSL's SSL_CTX

namespace kite::tls {

class TlsChannel;

class TlsContext {
 public:
  struct Created {
    std::shared_ptr<const TlsContext> context;  // null on failure
    // On failure, what and why: "private key /etc/kite/key.pem does not match certificate
    // /etc/kite/cert.pem (key values mismatch)", "CA file /x.pem: cannot open (No such file or
    // directory)".
    std::string error;
  };

  // Loads and checks everything `settings` names. `previous` (optional, server only): a context
  // this one replaces; its session ticket keys are carried over.
  static Created create(const TlsSettings& settings, const TlsContext* previous = nullptr);

  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  const TlsSettings& settings() const;

  // True when a CRL loaded by this context lists `certificate` (matching issuer name and
  // serial). False without a CRL, or for an empty id (a peer without a certificate).
  bool revoked(const CertificateId& certificate) const;

  // OpenSSL's SSL_CTX, for tests and benchmarks that tune what TlsSettings does not expose.
  // Changing it while channels are being made from other threads is not safe.
  ssl_ctx_st* native_handle() const;

  struct Impl;  // src/context_impl.h

 private:
  friend class TlsChannel;
  explicit TlsContext(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

}  // namespace kite::tls
