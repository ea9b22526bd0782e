// `kite events`: reads the command line into EventsSettings, checks what kited would refuse
// (so that it is a usage error with the rule in it), and hands over to the stream
// (events/event_stream.h) or the long-poll (events/event_poll.h).
#include "events/events.h"

#include <cstdio>
#include <memory>

#include "common/api_client.h"
#include "common/deadline.h"
#include "common/duration.h"
#include "common/ids.h"
#include "common/stop_signals.h"
#include "events/event_poll.h"
#include "events/event_stream.h"

namespace kite::cli {
namespace {

constexpr std::uint64_t kLongestWaitMs = 300'000;  // kited's limit for "wait"
constexpr std::uint64_t kLargestLimit = 10'000;    // and for "limit"

struct EventsOptions {
  EventsSettings settings;
  std::uint64_t after = 0;
  bool from_start = false;
  std::string wait = "30";
  std::string timeout;  // -W: none unless given
};

constexpr const char* kExamples = R"(Examples:
  kite events                                    # follow everything from now on
  kite events --type uplink --device meter-7 | jq -r .payload
  kite events --from-start --once                # what kited holds now, then exit
  kite events --type connect,disconnect --device-group floor-1
  kite events --after 1795330243512002 -C 100 -W 60
  kite events --poll --wait 30 --limit 500       # long-poll, for proxies that cut streams
)";

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "kite events: %s (kite events --help)\n", problem.c_str());
  return kExitUsage;
}

// "" when the settings make sense together and kited would take the filters, else why not.
std::string settings_problem(const EventsOptions& o, const CLI::Option& after,
                             const CLI::Option& wait) {
  const EventsSettings& s = o.settings;
  if (after.count() > 0 && o.from_start) return "give --after or --from-start, not both";
  if (wait.count() > 0 && !s.poll) return "--wait is for --poll";
  if (s.wait_ms > kLongestWaitMs) return "--wait is at most 5 minutes (kited's limit)";
  for (const auto& device : s.devices)
    if (auto problem = device_id_problem(device, false); !problem.empty()) return problem;
  for (const auto& group : s.device_groups)
    if (auto problem = group_problem(group); !problem.empty()) return problem;
  if (!o.timeout.empty() && s.timeout_ms == 0) return "-W must be more than 0";
  return {};
}

int run_events(EventsOptions& o, const CLI::Option& after, const CLI::Option& wait) {
  EventsSettings& s = o.settings;
  s.wait_ms = *parse_seconds_ms(o.wait);
  if (!o.timeout.empty()) s.timeout_ms = *parse_seconds_ms(o.timeout);
  if (auto problem = settings_problem(o, after, wait); !problem.empty())
    return usage_error(problem);
  if (auto problem = missing_token_problem(s.api); !problem.empty()) return usage_error(problem);
  if (after.count() > 0) s.after = o.after;
  // --once is "what is held now": from the oldest event unless told where.
  if (o.from_start || (s.once && !s.after)) s.after = 0;

  watch_stop_signals();
  ApiClient api(s.api);
  EventPrinter printer(s.count, s.after);
  const Deadline deadline(s.timeout_ms);
  if (s.poll || s.once) return poll_events(api, s, printer, deadline);
  return follow_event_stream(api, s, printer, deadline);
}

void add_filter_options(CLI::App& events, EventsSettings& s) {
  events
      .add_option("--type", s.types,
                  "only these event types: uplink, connect, disconnect, receipt (repeat it, or "
                  "a comma list); default all")
      ->delimiter(',')
      ->check(CLI::IsMember({"uplink", "connect", "disconnect", "receipt"}))
      ->type_name("TYPE");
  events
      .add_option("--device", s.devices, "only this device's events (repeat it, or a comma list)")
      ->delimiter(',')
      ->type_name("ID");
  events
      .add_option("--device-group", s.device_groups,
                  "only devices that are members of this group when the event is read (repeat "
                  "it for any of several; kited's group= filter)")
      ->type_name("GROUP");
}

}  // namespace

void add_events_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<EventsOptions>();
  EventsSettings& s = o->settings;
  auto* events = app.add_subcommand(
      "events",
      "Print kited's device events (GET /v1/events: uplink, connect, disconnect, receipt), one "
      "JSON object per line on stdout, flushed per event; gap records (events kited no longer "
      "held) are printed too and said on stderr. Follows the stream from now on until -C, -W, "
      "SIGINT or SIGTERM, reconnecting a dropped stream where it stopped (Last-Event-ID); "
      "--poll long-polls instead, --once prints what is held and exits. Needs a token with the "
      "read scope.");
  add_filter_options(*events, s);
  auto* after = events
                    ->add_option("--after", o->after,
                                 "start after this event id (resume where an earlier run "
                                 "stopped: the id of the last line it printed)")
                    ->type_name("ID");
  events->add_flag("--from-start", o->from_start,
                   "start from the oldest event kited still holds (--after 0)");
  events->add_flag("--poll", s.poll,
                   "long-poll (wait=, limit=, after=) instead of a stream, each answer after the "
                   "last");
  events->add_flag("--once", s.once,
                   "print one answer and exit 0: without --poll what is held now, with --poll "
                   "the first poll's events; starts from the oldest unless --after");
  auto* wait = events
                   ->add_option("--wait", o->wait,
                                "--poll: how long one poll waits for events (seconds, or with a "
                                "unit: 500ms, 2m; at most 5 minutes)")
                   ->check(kSeconds)
                   ->capture_default_str();
  events->add_option("--limit", s.limit, "--poll, --once: at most N events per answer")
      ->check(CLI::Range(std::uint64_t{1}, kLargestLimit))
      ->capture_default_str();
  events->add_option("-C,--count", s.count, "exit (0) after N events (gap records not counted)")
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1'000'000'000}))
      ->type_name("N");
  events
      ->add_option("-W,--timeout", o->timeout,
                   "give up after this long: exit 1 (seconds, or with a unit: 500ms, 2m)")
      ->check(kSeconds);
  add_api_options(*events, s.api, "--request-timeout");
  events->footer([] { return std::string(kExamples); });
  commands.push_back({events, [o, after, wait] { return run_events(*o, *after, *wait); }});
}

}  // namespace kite::cli
