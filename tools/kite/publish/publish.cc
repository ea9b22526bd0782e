// `kite publish`: reads the command line into PublishSettings (the device and its credentials
// as kite listen takes them, flags/device_flags.h) and hands them to the publisher
// (publish/publisher.h).
#include "publish/publish.h"

#include <cstdio>
#include <memory>
#include <string>

#include "common/duration.h"
#include "common/exit_code.h"
#include "flags/device_flags.h"
#include "flags/tls_flags.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/limits.h"
#include "publish/publisher.h"

namespace kite::cli {
namespace {

struct PublishOptions {
  DeviceFlags device;
  TlsOptions tls;
  std::string payload;
  int qos = 1;
  std::string topic, content_type;
  bool hex = false;
  std::string timeout;  // -W: none unless given
  bool quiet = false;
};

// The examples end up above the exit codes (see kite listen).
constexpr const char* kExamples = R"(Examples:
  kite publish --id thermostat-1 --master-key-file m.key --topic telemetry '{"celsius":21.5}'
  tail -f readings.log | kite publish --id meter-7 --key 4f0c...e1 --topic reading
  kite publish --id lamp-1 --token "$TOKEN" --qos 0 --quiet on
  kite publish --id camera-3 --master-key-file m.key --hex 00ff6b697465 -W 10
)";

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "kite publish: %s (kite publish --help)\n", problem.c_str());
  return kExitUsage;
}

int run_publish(const PublishOptions& o, const CLI::Option& payload) {
  PublishSettings s;
  s.client.agent = "kite-publish/" KITE_VERSION;  // in the hello: which tool and version
  s.client.tls = o.tls;
  if (auto problem = resolve_device_flags(o.device, s.client); !problem.empty())
    return usage_error(problem);
  if (payload.count() > 0 && o.payload != "-") s.payload = o.payload;
  if (s.payload && o.hex && !protocol::hex_decode(*s.payload))
    return usage_error("--hex: the payload must be hex digits, two per byte");
  s.hex = o.hex;
  s.at_least_once = o.qos == 1;
  s.topic = o.topic;
  s.content_type = o.content_type;
  if (!o.timeout.empty()) {
    s.timeout_ms = *parse_seconds_ms(o.timeout);
    if (s.timeout_ms == 0) return usage_error("-W must be more than 0");
  }
  s.quiet = o.quiet;
  return run_publisher(s);
}

// A CLI11 check: at most `limit` bytes.
CLI::Validator at_most_bytes(std::size_t limit) {
  return CLI::Validator(
      [limit](std::string& text) -> std::string {
        return text.size() <= limit ? "" : "longer than " + std::to_string(limit) + " bytes";
      },
      "");
}

}  // namespace

void add_publish_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<PublishOptions>();
  auto* publish = app.add_subcommand(
      "publish",
      "Act as one device and send uplink messages with the device SDK: PAYLOAD is one message; "
      "without it (or with -) each line of stdin is one (empty lines skipped). With QoS 1 "
      "(the default) kite waits until kited acknowledged every message and prints one line per "
      "message acknowledged: its number in the input and \"acked\" (QoS 0: \"sent\", once "
      "written). Connection state and problems go to stderr.");
  auto* payload = publish
                      ->add_option("payload", o->payload,
                                   "the message; none or -: one message per line of stdin; one "
                                   "that starts with '-' goes after --")
                      ->type_name("PAYLOAD");
  add_device_flags(*publish, o->device);
  publish
      ->add_option("--qos", o->qos,
                   "1: kited acknowledges each message once it holds it (kite waits for that); "
                   "0: sent once, not acknowledged")
      ->check(CLI::Range(0, 1))
      ->capture_default_str();
  publish->add_option("--topic", o->topic, "topic the backend dispatches on (<= 256 bytes)")
      ->check(at_most_bytes(protocol::limits::kTopic));
  publish->add_option("--content-type", o->content_type, "content type (<= 64 bytes)")
      ->check(at_most_bytes(protocol::limits::kContentType));
  publish->add_flag("--hex", o->hex,
                    "payloads are hex digits (00ff6b...), sent as the bytes they spell; a stdin "
                    "line that is not hex is reported and not sent (exit 1)");
  publish
      ->add_option("-W,--timeout", o->timeout,
                   "give up after this long: exit 1 with the count not acknowledged, or 3 if "
                   "kited was never reached (seconds, or with a unit: 500ms, 2m); default: wait "
                   "as long as it takes")
      ->check(kSeconds);
  publish->add_flag("-q,--quiet", o->quiet, "print nothing per message on stdout");
  add_tls_flags(*publish, o->tls, /*client_certificate=*/true);
  publish->footer([] { return std::string(kExamples); });
  commands.push_back({publish, [o, payload] { return run_publish(*o, *payload); }});
}

}  // namespace kite::cli
