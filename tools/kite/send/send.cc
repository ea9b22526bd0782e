// `kite send`: reads the command line into a target, the message fields and a payload source
// (an argument, a file, or stdin one message per line), then hands the messages to a Sender.
#include "send/send.h"

#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/api_client.h"
#include "common/duration.h"
#include "common/payload.h"
#include "flags/api_flags.h"
#include "send/sender.h"

namespace kite::cli {
namespace {

struct SendOptions {
  ApiOptions api;
  std::string first, second;       // the positionals as given
  std::vector<std::string> words;  // those of them given: [DEVICE] [PAYLOAD]
  std::vector<std::string> devices;
  std::string group;
  bool all = false;
  std::string file;
  int qos = -1;  // -1: the server's default (1)
  std::string ttl, interval = "0";
  std::string topic, key, content_type;
  std::uint64_t repeat = 1;
  bool json = false;
};

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "kite send: %s (kite send --help)\n", problem.c_str());
  return kExitUsage;
}

// Splits the positional words into the target and the payload argument ("-" or none: stdin).
std::string resolve_words(const SendOptions& o, SendTarget& target, std::string& payload,
                          bool& from_stdin) {
  const int chosen = (o.devices.empty() ? 0 : 1) + (o.group.empty() ? 0 : 1) + (o.all ? 1 : 0);
  if (chosen > 1) return "give one of DEVICE, --devices, --group and --all";
  std::vector<std::string> words = o.words;
  if (chosen == 0) {
    if (words.empty()) return "say where to send: DEVICE, --devices, --group or --all";
    target.device = words.front();
    words.erase(words.begin());
    if (target.device.empty()) return "DEVICE must not be empty";
  }
  target.devices = o.devices;
  target.group = o.group;
  target.all = o.all;
  if (words.size() > 1)
    return "too many arguments: one PAYLOAD at most (quote a payload with spaces)";
  if (!o.file.empty() && !words.empty()) return "give a PAYLOAD argument or --file, not both";
  from_stdin = o.file.empty() && (words.empty() || words.front() == "-");
  if (!from_stdin && !words.empty()) payload = words.front();
  return {};
}

SendSettings settings_of(const SendOptions& o, bool from_stdin) {
  SendSettings settings;
  if (o.qos >= 0) settings.fields["qos"] = o.qos;
  if (!o.ttl.empty()) settings.fields["ttl_ms"] = *parse_duration_ms(o.ttl);
  if (!o.topic.empty()) settings.fields["topic"] = o.topic;
  if (!o.key.empty()) settings.fields["key"] = o.key;
  if (!o.content_type.empty()) settings.fields["content_type"] = o.content_type;
  settings.interval = std::chrono::milliseconds(*parse_duration_ms(o.interval));
  settings.keep_going = from_stdin;  // each line stands alone: one refused line stops nothing
  return settings;
}

// One message per line of stdin (CR LF endings accepted, empty lines skipped).
void send_lines(Sender& sender, std::uint64_t repeat) {
  std::string line;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    if (!sender.send(line, repeat)) return;
  }
}

int run_send(const SendOptions& o) {
  SendTarget target;
  std::string payload;
  bool from_stdin = false;
  if (auto problem = resolve_words(o, target, payload, from_stdin); !problem.empty())
    return usage_error(problem);
  if (auto problem = missing_token_problem(o.api); !problem.empty()) return usage_error(problem);
  if (!o.file.empty()) {
    std::string error;
    auto bytes = read_file_bytes(o.file, error);
    if (!bytes) return usage_error(error);
    payload = std::move(*bytes);
  }
  ApiClient api(o.api);
  SendReport report(o.json, from_stdin || o.repeat > 1);
  Sender sender(api, report, target, settings_of(o, from_stdin));
  if (from_stdin)
    send_lines(sender, o.repeat);
  else
    sender.send(payload, o.repeat);
  return sender.exit_code();
}

}  // namespace

void add_send_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<SendOptions>();
  auto* send = app.add_subcommand(
      "send",
      "Send messages through kited's admin API: kite send DEVICE PAYLOAD, or --devices, --group "
      "or --all with PAYLOAD. Without PAYLOAD (or with -), each line of stdin is one message. "
      "Prints one line per target and message: device, status, seq and id, reason.");
  // Two single positionals, not one list: CLI11 honours "--" (a payload like "-5") only while a
  // positional still waits for its value.
  auto* first =
      send->add_option("target", o->first, "DEVICE, or PAYLOAD with --devices, --group or --all")
          ->type_name("DEVICE|PAYLOAD");
  auto* second = send->add_option("payload", o->second,
                                  "the message; none or -: one message per line of stdin; one "
                                  "that starts with '-' goes after --")
                     ->type_name("PAYLOAD");
  send->add_option("--devices", o->devices, "send to these devices")
      ->delimiter(',')
      ->allow_extra_args(false)  // the word after the list is the payload, not one more device
      ->type_name("ID,ID,...");
  send->add_option("--group", o->group, "send to every member of this group");
  send->add_flag("--all", o->all, "send to every device online now");
  send->add_option("--file", o->file,
                   "the payload is this file's bytes (sent as payload_base64 when not UTF-8)");
  send->add_option("--qos", o->qos,
                   "1: stored until the device acknowledges it (the server's default); 0: sent "
                   "now if the device is online, else dropped")
      ->check(CLI::Range(0, 1));
  send->add_option("--ttl", o->ttl,
                   "expiry while queued: ms or with a unit (30s, 2h); 0 = none; default: "
                   "kited's store.default_ttl_ms")
      ->check(kDuration);
  send->add_option("--topic", o->topic, "topic the device app dispatches on (<= 256 bytes)");
  send->add_option("--key", o->key,
                   "conflation key: replaces the device's queued message with the same key");
  send->add_option("--content-type", o->content_type, "content type (<= 64 bytes)");
  send->add_option("--repeat", o->repeat, "send each message N times")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}))
      ->capture_default_str();
  send->add_option("--interval", o->interval, "wait this long between messages (100ms, 1s)")
      ->check(kDuration)
      ->capture_default_str();
  send->add_flag("--json", o->json,
                 "print the admin API's answers, one JSON object per line (per-device answers "
                 "gain a \"device\" member)");
  add_api_options(*send, o->api);
  commands.push_back({send, [o, first, second] {
                        if (first->count() > 0) o->words.push_back(o->first);
                        if (second->count() > 0) o->words.push_back(o->second);
                        return run_send(*o);
                      }});
}

}  // namespace kite::cli
