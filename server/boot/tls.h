// The TLS contexts kited builds from its config: the device listener's ([tls], made again on
// SIGHUP) and the admin API's ([admin] tls_*, fixed until a restart).
#pragma once

#include <memory>
#include <string>

#include "config/config.h"
#include "core/server.h"
#include "kite/tls/context.h"

namespace kite::server::boot {

// The TLS device listener's context, from [tls]; null on failure, with why in `error` (the files
// named and OpenSSL's reason). `previous`: the context it replaces, whose ticket keys it keeps.
std::shared_ptr<const kite::tls::TlsContext> device_tls_context(
    const config::TlsConfig& tls, const kite::tls::TlsContext* previous, std::string& error);

// SIGHUP: [tls] files (certificate, key, CA, CRL) and choices are loaded again for new
// connections; a failure keeps the running context. Passing the old context keeps its ticket
// keys, so devices still resume after the reload; live sessions whose certificate the new CRL
// revokes are closed with Revoked.
void reload_tls(Server& server, const config::TlsConfig& tls);

// The admin API's context when [admin] names a certificate; null and `error` on failure, null
// and no error when the API is plain HTTP.
std::shared_ptr<const kite::tls::TlsContext> admin_tls_context(const config::AdminConfig& admin,
                                                               std::string& error);

}  // namespace kite::server::boot
