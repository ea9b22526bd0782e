// The TLS options of the commands that connect to kited's device listener (kite listen, kite
// bench), stored straight into the SDK's kite::TlsOptions. The others need --tls: a CA given
// without it would otherwise leave the connection in plaintext unnoticed.
#pragma once

#include <CLI/CLI.hpp>

#include "kite/client.h"

namespace kite::cli {

// --tls, --ca, --server-name, --tls-min; with `client_certificate` also --cert and --cert-key
// (--key is the device's HMAC key already, and --NAME-file a file holding --NAME elsewhere in
// kite: the certificate's key gets a name of its own).
void add_tls_flags(CLI::App& command, TlsOptions& tls, bool client_certificate);

}  // namespace kite::cli
