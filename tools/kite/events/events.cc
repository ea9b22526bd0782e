// `kite events`: reads the command line into EventsSettings, checks what kited would refuse
// (so that it is a usage error with the rule in it), and hands over to the stream
// (events/event_stream.h) or the long-poll (events/event_poll.h).
#include "events/events.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <memory>

#include "common/api_client.h"
#include "common/deadline.h"
#include "common/duration.h"
#include "common/ids.h"
#include "common/stop_signals.h"
#include "events/event_acker.h"
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
  kite events --consumer-group billing --member r1 --ack --poll   # share the events with r2...
)";

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "kite events: %s (kite events --help)\n", problem.c_str());
  return kExitUsage;
}

// "" when `name` may name a consumer group or member (kited's rule), else why not.
std::string consumer_name_problem(const char* flag, const std::string& name) {
  const bool fits = !name.empty() && name.size() <= 64 &&
                    std::all_of(name.begin(), name.end(), [](unsigned char c) {
                      return std::isalnum(c) || c == '.' || c == '_' || c == '-';
                    });
  if (fits) return {};
  return std::string(flag) + " \"" + name + "\": 1 to 64 of A-Z a-z 0-9 . _ -";
}

std::string consumer_problem(const EventsSettings& s) {
  if (s.consumer_group.empty() != s.member.empty())
    return "--consumer-group and --member go together: a member reads as one of its group";
  if (s.ack && s.consumer_group.empty())
    return "--ack is for a consumer group member: add "
           "--consumer-group NAME --member NAME";
  if (s.consumer_group.empty()) return {};
  if (auto problem = consumer_name_problem("--consumer-group", s.consumer_group); !problem.empty())
    return problem;
  return consumer_name_problem("--member", s.member);
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
  return consumer_problem(s);
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

  if (!s.consumer_group.empty() && !s.ack)
    say_events(
        "without --ack nothing is acknowledged: kited gives each event to another member "
        "of " +
        s.consumer_group + " again after events.consumer_visibility_ms (30 s)");

  watch_stop_signals();
  ApiClient api(s.api);
  EventPrinter printer(s.count, s.after);
  EventAcker acker(s);
  const Deadline deadline(s.timeout_ms);
  const int code = s.poll || s.once ? poll_events(api, s, printer, acker, deadline)
                                    : follow_event_stream(api, s, printer, acker, deadline);
  acker.finish(printer);  // whatever ended it, what was printed is not given to another member
  return code;
}

void add_filter_options(CLI::App& events, EventsSettings& s) {
  events
      .add_option("--type", s.types,
                  "only these event types: uplink, connect, disconnect, receipt, undelivered, "
                  "expired, dropped (repeat it, or a comma list); default all")
      ->delimiter(',')
      ->check(CLI::IsMember(
          {"uplink", "connect", "disconnect", "receipt", "undelivered", "expired", "dropped"}))
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

void add_consumer_options(CLI::App& events, EventsSettings& s) {
  events
      .add_option("--consumer-group", s.consumer_group,
                  "read as one member of this consumer group: each event goes to one of its "
                  "members (needs --member; 1-64 of A-Z a-z 0-9 . _ -)")
      ->type_name("NAME");
  events.add_option("--member", s.member, "this reader's member name in --consumer-group")
      ->type_name("NAME");
  events.add_flag("--ack", s.ack,
                  "acknowledge each event once printed (--poll: ack= on the next poll; stream: "
                  "POSTed every 200 ms or 100 events; and once at exit), else kited gives it to "
                  "another member after events.consumer_visibility_ms");
}

}  // namespace

void add_events_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<EventsOptions>();
  EventsSettings& s = o->settings;
  auto* events = app.add_subcommand(
      "events",
      "Print kited's device events (GET /v1/events: uplink, connect, disconnect, receipt, "
      "undelivered, expired, dropped), one "
      "JSON object per line on stdout, flushed per event; gap records (events kited no longer "
      "held) are printed too and said on stderr. Follows the stream from now on until -C, -W, "
      "SIGINT or SIGTERM, reconnecting a dropped stream where it stopped (Last-Event-ID); "
      "--poll long-polls instead, --once prints what is held and exits. Needs a token with the "
      "read scope.");
  add_filter_options(*events, s);
  add_consumer_options(*events, s);
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
