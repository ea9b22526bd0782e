// The server kited runs, built from its configuration: the store (RocksDB in the data directory,
// or memory), the credentials, the compression dictionary, the resume-token key, and the TLS
// contexts. What cannot be built is printed for the operator, with the exit code to end with.
#pragma once

#include <memory>

#include "config/config.h"
#include "core/server.h"
#include "kite/tls/context.h"

namespace kite::server::boot {

struct BuiltServer {
  std::unique_ptr<Server> server;  // null when something could not be built (printed)
  std::shared_ptr<const kite::tls::TlsContext> admin_tls;  // null: the admin API is plain HTTP
  int exit_code = 0;                                       // with a null server
};

BuiltServer build_server(const config::Config& config);

}  // namespace kite::server::boot
