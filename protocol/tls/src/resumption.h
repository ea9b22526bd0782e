// Session resumption. Server: stateless TLS 1.3 tickets sealed with the context's keys (no
// server-side session cache, so nothing grows with the number of devices), never resumed for a
// certificate that is revoked, expired or no longer trusted. Client: the newest ticket is kept in
// the context for the next channel.
#pragma once

#include <string>

#include <openssl/ssl.h>

#include "context_impl.h"
#include "kite/tls/settings.h"

namespace kite::tls::detail {

void configure_server_tickets(TlsContext::Impl& impl);
void configure_client_sessions(SSL_CTX* ctx, const TlsSettings& settings);

// Seals `to`'s tickets with `from`'s keys, so tickets issued before a reload still resume.
// Empty string on success, else the message.
std::string copy_ticket_keys(SSL_CTX* from, SSL_CTX* to);

}  // namespace kite::tls::detail
