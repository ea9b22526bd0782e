// The options of the commands that act as one device with the SDK (kite listen, kite publish):
// where kited's device listener is (--host, --port), the device id (--id) and its credentials:
// exactly one of --key, --master-key / --master-key-file (the key derived for --id) and
// --token; or, with --tls, none of them and --cert (flags/tls_flags.h). KITE_AUTH_MASTER_KEY
// counts only when none is given: a variable exported for kited must not turn an explicit --key
// into a usage error, nor a certificate login into a key login.
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

#include "flags/key_flags.h"
#include "kite/client.h"

namespace kite::cli {

struct DeviceFlags {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7000;
  std::string id;
  std::string key;
  KeySource master_key;
  std::string token;
  std::string session_file;  // --session-file: the SDK's ClientOptions::session_file
  CLI::Option* key_option = nullptr;
  CLI::Option* token_option = nullptr;
};

void add_device_flags(CLI::App& command, DeviceFlags& flags);

// Sets the client's host, port and device id, and its key (given, or derived from the master
// key) or token. `client.tls` must be set already (a --cert alone is a credential). "" or the
// problem, for a usage error.
std::string resolve_device_flags(const DeviceFlags& flags, ClientOptions& client);

}  // namespace kite::cli
