// The client's TLS context, made once by start() from ClientOptions::tls and kept for the
// client's whole life: every connection's TlsChannel comes from it, so the session ticket the
// last connection received is offered by the next one (a resumed handshake, no certificates).
#pragma once

#include <memory>
#include <string>

#include "kite/client.h"
#include "kite/tls/context.h"

namespace kite::sdk {

// Loads the files options.tls names (blocking file reads: start() runs once), for a server
// named `host` (unless tls.server_name says otherwise). Null with `error` set ("tls: CA file
// /x.pem: cannot open (...)") when they are unusable.
std::shared_ptr<const tls::TlsContext> make_tls_context(const ClientOptions& options,
                                                        const std::string& host,
                                                        std::string& error);

}  // namespace kite::sdk
