#include "flags/device_flags.h"

#include "common/ids.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/token.h"

namespace kite::cli {
namespace {

// An SDK device key: exactly 32 bytes in hex.
const CLI::Validator kDeviceKey(
    [](std::string& text) -> std::string {
      auto bytes = protocol::hex_decode(text);
      return bytes && bytes->size() == protocol::kKeySize ? "" : "expected 64 hex digits";
    },
    "HEX");

// Sets the client's key or token from exactly one of --key, --master-key / --master-key-file and
// --token; with none of them, --cert alone is the credential (AuthMethod::Tls, the SDK's choice
// when it has neither key nor token).
std::string resolve_credentials(const DeviceFlags& f, ClientOptions& client) {
  const bool key_given = f.key_option->count() > 0, token_given = f.token_option->count() > 0;
  const int given =
      (key_given ? 1 : 0) + (f.master_key.on_command_line() ? 1 : 0) + (token_given ? 1 : 0);
  if (given > 1) return "give one of --key, --master-key (or --master-key-file) and --token";
  if (given == 0 && !client.tls.cert_file.empty()) return device_id_problem(f.id, false);
  if (given == 0 && !f.master_key.given())
    return "no credentials: give --key, --master-key, --master-key-file, --token or --cert (or "
           "set KITE_AUTH_MASTER_KEY)";
  const bool derived = !key_given && !token_given;
  if (auto problem = device_id_problem(f.id, /*allow_service=*/!derived); !problem.empty())
    return problem;
  if (!derived) {
    client.key = f.key;
    client.token = f.token;
    return {};
  }
  std::string error;
  auto master = read_key(f.master_key, error);
  if (!master) return error;
  client.key = protocol::hex_encode(protocol::derive_device_key(*master, f.id));
  return {};
}

}  // namespace

void add_device_flags(CLI::App& command, DeviceFlags& f) {
  command.add_option("--host", f.host, "kited's device listener: a name or an address")
      ->capture_default_str();
  command
      .add_option("--port", f.port, "kited's device port (server.listen; with --tls, tls.listen)")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  command.add_option("--id", f.id, "the device id to connect as")->required()->type_name("DEVICE");
  f.key_option = command
                     .add_option("--key", f.key,
                                 "the device's key, 64 hex digits (what kite keys derive prints)")
                     ->check(kDeviceKey);
  add_key_source(command, "master-key", "KITE_AUTH_MASTER_KEY",
                 "the fleet master key (the device's key is derived from it)", f.master_key);
  f.token_option =
      command
          .add_option("--token", f.token,
                      "a device token (kite keys token); kited needs auth.token_key")
          ->check([](const std::string& t) -> std::string {
            return t.size() <= protocol::kMaxTokenLength ? "" : "longer than 4096 bytes";
          });
  command
      .add_option("--session-file", f.session_file,
                  "keep the session in FILE across runs (created if missing): started again, it "
                  "resumes where the last run stopped, even one killed, and sends what was left "
                  "queued (docs/sdk.md, \"Surviving a reboot\")")
      ->type_name("FILE");
}

std::string resolve_device_flags(const DeviceFlags& f, ClientOptions& client) {
  client.host = f.host;
  client.port = f.port;
  client.device_id = f.id;
  client.session_file = f.session_file;
  return resolve_credentials(f, client);
}

}  // namespace kite::cli
