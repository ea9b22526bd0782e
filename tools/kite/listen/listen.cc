// `kite listen`: reads the command line into ListenSettings (the device's credentials resolved
// to a key, a token or a TLS client certificate, as the SDK takes them: flags/device_flags.h)
// and hands them to the listener (listen/listener.h).
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
#include "flags/device_flags.h"
#include "flags/tls_flags.h"
#include "listen/listener.h"

namespace kite::cli {
namespace {

struct ListenOptions {
  DeviceFlags device;
  std::string format = "text";
  std::uint64_t count = 0;
  std::string timeout;  // -W: none unless given
  std::string keepalive = "30";
  std::vector<std::string> groups;
  std::string on_command;
  TlsOptions tls;
  std::string websocket_path;  // --ws
  std::string proxy;           // --proxy
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
  kite listen --id tab-1 --master-key-file m.key --port 8443 --tls --ca ca.pem --ws /kite
  (over wss://; add --proxy http://user:pw@proxy:3128 where only a proxy reaches out)
)";

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "kite listen: %s (kite listen --help)\n", problem.c_str());
  return kExitUsage;
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

int run_listen(const ListenOptions& o) {
  ListenSettings s;
  s.client.agent = "kite-listen/" KITE_VERSION;  // in the hello: which tool and version
  s.client.tls = o.tls;
  s.client.dictionary_files = o.dictionaries;
  if (auto problem = resolve_device_flags(o.device, s.client); !problem.empty())
    return usage_error(problem);
  if (!o.websocket_path.empty()) {
    const bool v6 = s.client.host.find(':') != std::string::npos;
    s.client.url = (o.tls.enabled ? "wss://" : "ws://") +
                   (v6 ? "[" + s.client.host + "]" : s.client.host) + ":" +
                   std::to_string(s.client.port) + o.websocket_path;
  }
  s.client.proxy = o.proxy;
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
  add_device_flags(*listen, o->device);
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
  listen
      ->add_option("--ws", o->websocket_path,
                   "over WebSocket: --port is kited's websocket.listen (websocket.tls_listen "
                   "with --tls), upgrading at PATH (websocket.path, e.g. /)")
      ->type_name("PATH")
      ->check([](const std::string& path) {
        return path.starts_with('/') ? std::string() : std::string("a path starts with /");
      });
  listen
      ->add_option("--proxy", o->proxy,
                   "go through this HTTP proxy (CONNECT), e.g. http://user:password@proxy:3128")
      ->type_name("URL");
  add_dictionary_flag(*listen, o->dictionaries,
                      "a zstd dictionary this device holds (kite dict train): kited compresses "
                      "with it when it is the one kited offers");
  listen->footer([] { return std::string(kExamples); });
  commands.push_back({listen, [o] { return run_listen(*o); }});
}

}  // namespace kite::cli
