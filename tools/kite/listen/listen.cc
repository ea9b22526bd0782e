// `kite listen`: reads the command line into ListenSettings (the device's credentials resolved
// to a key, a token or a TLS client certificate, as the SDK takes them) and hands them to the
// listener (listen/listener.h).
#include "listen/listen.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/duration.h"
#include "common/exit_code.h"
#include "common/ids.h"
#include "flags/capture_flags.h"
#include "flags/key_flags.h"
#include "flags/tls_flags.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/token.h"
#include "listen/listener.h"

namespace kite::cli {
namespace {

struct ListenOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 7000;
  std::string id;
  std::string key;
  KeySource master_key;
  std::string token;
  std::string format = "text";
  std::uint64_t count = 0;
  std::string timeout;  // -W: none unless given
  std::string keepalive = "30";
  std::vector<std::string> groups;
  std::string on_command;
  TlsOptions tls;
  std::vector<std::string> dictionaries;
};

// The examples end up above the exit codes: CLI11 prints a footer callback's text before the
// footer string, which main() sets on every command.
constexpr const char* kExamples = R"(Examples:
  kite listen --id thermostat-1 --master-key-file /etc/kite/master.key
  kite listen --id lamp-1 --key 4f0c...e1 --format json | jq -c 'select(.topic == "power")'
  kite listen --id player-1 --token "$TOKEN" --join room-9 -C 1 -W 30   # wait for one message
  kite listen --id meter-7 --master-key-file m.key --on-command ./handle-command.sh
  (handle-command.sh gets the command name as $1 and its payload on stdin; what it prints is
  the reply, its exit status the reply status)
  kite listen --id lamp-1 --port 7443 --tls --ca ca.pem --cert lamp-1.pem --cert-key lamp-1.key
  (mutual TLS: the certificate is the credential; kited reads the id in it)
)";

// An SDK device key: exactly 32 bytes in hex.
const CLI::Validator kDeviceKey(
    [](std::string& text) -> std::string {
      auto bytes = protocol::hex_decode(text);
      return bytes && bytes->size() == protocol::kKeySize ? "" : "expected 64 hex digits";
    },
    "HEX");

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "kite listen: %s (kite listen --help)\n", problem.c_str());
  return kExitUsage;
}

// Sets the settings' key or token from exactly one of --key, --master-key / --master-key-file
// and --token; with none of them, --cert alone is the credential (AuthMethod::Tls, the SDK's
// choice when it has neither key nor token). KITE_AUTH_MASTER_KEY counts only when none of them
// is given: a variable exported for kited must not turn an explicit --key into a usage error,
// nor a certificate login into a key login.
std::string resolve_credentials(const ListenOptions& o, const CLI::Option& key,
                                const CLI::Option& token, ClientOptions& client) {
  const int given = (key.count() > 0 ? 1 : 0) + (o.master_key.on_command_line() ? 1 : 0) +
                    (token.count() > 0 ? 1 : 0);
  if (given > 1) return "give one of --key, --master-key (or --master-key-file) and --token";
  if (given == 0 && !o.tls.cert_file.empty()) return device_id_problem(o.id, false);
  if (given == 0 && !o.master_key.given())
    return "no credentials: give --key, --master-key, --master-key-file, --token or --cert (or "
           "set KITE_AUTH_MASTER_KEY)";
  const bool derived = key.count() == 0 && token.count() == 0;
  if (auto problem = device_id_problem(o.id, /*allow_service=*/!derived); !problem.empty())
    return problem;
  if (!derived) {
    client.key = o.key;
    client.token = o.token;
    return {};
  }
  std::string error;
  auto master = read_key(o.master_key, error);
  if (!master) return error;
  client.key = protocol::hex_encode(protocol::derive_device_key(*master, o.id));
  return {};
}

// A script named by a path must be there now, not at the first command; a bare name is looked
// up in PATH when it runs.
std::string script_problem(const std::string& script) {
  if (script.empty() || script.find('/') == std::string::npos) return {};
  std::error_code ignored;
  if (!std::filesystem::is_regular_file(script, ignored) || ::access(script.c_str(), X_OK) != 0)
    return "--on-command " + script + " is not an executable file";
  return {};
}

int run_listen(const ListenOptions& o, const CLI::Option& key, const CLI::Option& token) {
  ListenSettings s;
  s.client.host = o.host;
  s.client.port = o.port;
  s.client.device_id = o.id;
  s.client.agent = "kite-listen/0.1";  // what GET /v1/devices/{id} shows for this connection
  s.client.tls = o.tls;
  s.client.dictionary_files = o.dictionaries;
  if (auto problem = resolve_credentials(o, key, token, s.client); !problem.empty())
    return usage_error(problem);
  for (const auto& group : o.groups)
    if (auto problem = group_problem(group); !problem.empty()) return usage_error(problem);
  if (auto problem = script_problem(o.on_command); !problem.empty()) return usage_error(problem);
  const std::uint64_t keepalive_ms = *parse_seconds_ms(o.keepalive);
  if (keepalive_ms < 1000 || keepalive_ms > 3'600'000)
    return usage_error("--keepalive must be from 1s to 1h");
  s.client.keepalive_ms = static_cast<std::uint32_t>(keepalive_ms);
  s.format = *message_format_named(o.format);
  s.count = o.count;
  if (!o.timeout.empty()) {
    s.timeout_ms = *parse_seconds_ms(o.timeout);
    if (s.timeout_ms == 0) return usage_error("-W must be more than 0");
  }
  s.groups = o.groups;
  s.on_command = o.on_command;
  return run_listener(s);
}

}  // namespace

void add_listen_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<ListenOptions>();
  auto* listen = app.add_subcommand(
      "listen",
      "Act as one device: connect to kited's device listener with the device SDK and print each "
      "message it sends, one per line on stdout (flushed at once); connection state goes to "
      "stderr. Reconnects and resumes until -C, -W, SIGINT or SIGTERM ends it; --on-command "
      "answers commands with a script. --tls connects to kited's TLS port (a TLS failure "
      "before the first connection ends it: exit 3).");
  listen->add_option("--host", o->host, "kited's device listener: a name or an address")
      ->capture_default_str();
  listen
      ->add_option("--port", o->port, "kited's device port (server.listen; with --tls, tls.listen)")
      ->check(CLI::Range(1, 65535))
      ->capture_default_str();
  listen->add_option("--id", o->id, "the device id to connect as")->required()->type_name("DEVICE");
  auto* key = listen
                  ->add_option("--key", o->key,
                               "the device's key, 64 hex digits (what kite keys derive prints)")
                  ->check(kDeviceKey);
  add_key_source(*listen, "master-key", "KITE_AUTH_MASTER_KEY",
                 "the fleet master key (the device's key is derived from it)", o->master_key);
  auto* token = listen
                    ->add_option("--token", o->token,
                                 "a device token (kite keys token); kited needs auth.token_key")
                    ->check([](const std::string& t) -> std::string {
                      return t.size() <= protocol::kMaxTokenLength ? "" : "longer than 4096 bytes";
                    });
  listen
      ->add_option("--format", o->format,
                   "text: each payload as it is; json: one object per message with seq, topic, "
                   "content_type, message_id and payload (payload_base64 if not UTF-8); hex: "
                   "each payload in hex")
      ->check(CLI::IsMember({"text", "json", "hex"}))
      ->capture_default_str();
  listen->add_option("-C,--count", o->count, "exit (0) after N messages")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}))
      ->type_name("N");
  listen
      ->add_option("-W,--timeout", o->timeout,
                   "give up after this long: exit 1, or 3 if kited was never reached (seconds, "
                   "or with a unit: 500ms, 2m)")
      ->check(kSeconds);
  listen
      ->add_option("--join", o->groups,
                   "join this group once connected (repeat it); a refused join is exit 1")
      ->type_name("GROUP");
  listen
      ->add_option("--keepalive", o->keepalive,
                   "ping interval asked for (seconds, or with a unit); kited may shorten it")
      ->check(kSeconds)
      ->capture_default_str();
  listen
      ->add_option("--on-command", o->on_command,
                   "answer each command by running SCRIPT NAME with the payload on stdin: its "
                   "stdout is the reply, its exit status the reply status; killed (status "
                   "124) when the command's timeout_ms is nearly spent")
      ->type_name("SCRIPT");
  add_tls_flags(*listen, o->tls, /*client_certificate=*/true);
  add_dictionary_flag(*listen, o->dictionaries,
                      "a zstd dictionary this device holds (kite dict train): kited compresses "
                      "with it when it is the one kited offers");
  listen->footer([] { return std::string(kExamples); });
  commands.push_back({listen, [o, key, token] { return run_listen(*o, *key, *token); }});
}

}  // namespace kite::cli
