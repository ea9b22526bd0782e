// The kite command-line tool's `events` (GET /v1/events as JSON lines: --once, the stream with
// filters, -C and resuming, --poll, errors) and `publish` (act as one device and send uplinks)
// against a real kited.
#include <chrono>
#include <optional>
#include <thread>

#include "cli_helpers.h"

namespace kite::it {
namespace {

// A device of the test's own that connects and publishes `payloads` (QoS 1), each acknowledged.
void publish_from(Harness& h, const std::string& device, const std::vector<std::string>& payloads) {
  TestDevice d(h.device_options(device));
  d.connect_and_open();
  for (const auto& payload : payloads) REQUIRE(d.publish(payload) == protocol::SendStatus::Sent);
  const std::uint64_t through = d.uplink_acked_through() + payloads.size();
  d.pump_until(now_ms() + kWait, [&] { return d.uplink_acked_through() >= through; });
  REQUIRE(d.uplink_acked_through() >= through);
  d.close();
  // Its disconnect event is in the log once kited has it offline.
  auto gone = h.wait_device(device, [](const auto& b) { return b["online"] == false; });
  REQUIRE(gone["online"] == false);
}

// Each line of kite events' stdout as JSON; fails the test on a line that is not an object.
std::vector<nlohmann::json> events_of(const std::string& out) {
  std::vector<nlohmann::json> events;
  for (const auto& line : lines_of(out)) {
    auto event = nlohmann::json::parse(line, nullptr, false);
    INFO("line: " << line);
    REQUIRE(event.is_object());
    events.push_back(std::move(event));
  }
  return events;
}

std::vector<std::string> payloads_of(const std::vector<nlohmann::json>& events) {
  std::vector<std::string> payloads;
  for (const auto& event : events) payloads.push_back(event.value("payload", std::string("-")));
  return payloads;
}

// `kite events` with this harness's --api and --token.
KiteRun events_run(Harness& h, std::vector<std::string> args) {
  args.insert(args.begin(), "events");
  return run_kite(api_args(h, args));
}

// GET /v1/event-groups: the lag of consumer group `name` (none: no such group yet).
std::optional<std::uint64_t> group_lag(Harness& h, const std::string& name) {
  const auto body = h.http.request("GET", "/v1/event-groups").json();
  for (const auto& group : body["groups"])
    if (group["name"] == name) return group["lag"].get<std::uint64_t>();
  return std::nullopt;
}

// Waits up to kWait for the group's lag to reach 0: every event it was given is acknowledged.
bool lag_drains(Harness& h, const std::string& name) {
  const Millis deadline = now_ms() + kWait;
  while (now_ms() < deadline) {
    if (group_lag(h, name) == std::uint64_t{0}) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

// The held events kite events --once prints for ARGS, asked again until there are some or kWait
// has passed: a QoS 0 uplink is never acknowledged, so its sender may be gone before kited has
// even read it.
std::vector<nlohmann::json> events_once_some(Harness& h, const std::vector<std::string>& args) {
  const Millis deadline = now_ms() + kWait;
  std::vector<nlohmann::json> events = events_of(events_run(h, args).out);
  while (events.empty() && now_ms() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    events = events_of(events_run(h, args).out);
  }
  return events;
}

std::vector<std::string> ids_of(const std::vector<nlohmann::json>& events) {
  std::vector<std::string> ids;
  for (const auto& event : events) ids.push_back(event["id"].get<std::string>());
  return ids;
}

std::vector<std::string> publish_args(Harness& h, const std::string& device,
                                      std::vector<std::string> args) {
  std::vector<std::string> all = {"publish", "--port", std::to_string(h.kited.device_port()),
                                  "--id", device};
  all.insert(all.end(), args.begin(), args.end());
  return all;
}

}  // namespace

TEST_CASE("32.1 cli: kite events --from-start --once prints what kited holds, as JSON lines") {
  Harness h;
  publish_from(h, "ev-once-a", {"reading-1", "reading-2"});
  publish_from(h, "ev-once-b", {"{\"celsius\":21.5}"});
  h.wait_events("", 7);  // the disconnects are shown once written (write-behind)

  auto all = events_run(h, {"--from-start", "--once"});
  INFO("stdout: " << all.out << "\nstderr: " << all.err);
  REQUIRE(all.exit_code == 0);
  auto events = events_of(all.out);
  // Each device: connect, its uplinks, disconnect (NormalClose).
  REQUIRE(events.size() == 7);
  std::vector<std::string> seen;
  for (const auto& e : events)
    seen.push_back(e["type"].get<std::string>() + " " + e["device"].get<std::string>());
  CHECK(seen == std::vector<std::string>{"connect ev-once-a", "uplink ev-once-a",
                                         "uplink ev-once-a", "disconnect ev-once-a",
                                         "connect ev-once-b", "uplink ev-once-b",
                                         "disconnect ev-once-b"});
  CHECK(events[1]["payload"] == "reading-1");
  CHECK(events[2]["payload"] == "reading-2");
  CHECK(events[5]["payload"] == "{\"celsius\":21.5}");
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i]["id"].is_string());
    CHECK(events[i]["time"].is_number_unsigned());
    if (i > 0)
      CHECK(std::stoull(events[i]["id"].get<std::string>()) >
            std::stoull(events[i - 1]["id"].get<std::string>()));
  }
  // The line is the event as kited gives it: its members in kited's order, id first.
  CHECK(lines_of(all.out)[0].starts_with("{\"id\":"));

  // Filters: uplinks of one device only; --limit makes one page smaller.
  auto uplinks = events_run(h, {"--once", "--type", "uplink", "--device", "ev-once-a"});
  CHECK(uplinks.exit_code == 0);
  CHECK(payloads_of(events_of(uplinks.out)) == std::vector<std::string>{"reading-1", "reading-2"});
  auto page = events_run(h, {"--once", "--limit", "2"});
  CHECK(page.exit_code == 0);
  CHECK(events_of(page.out).size() == 2);
}

TEST_CASE("32.2 cli: kite events follows the stream: -C 3 with --type and --device filters") {
  Harness h;
  publish_from(h, "ev-follow", {"before"});  // held, but from before kite started: not printed

  KiteChild follow(
      api_args(h, {"events", "--type", "uplink", "--device", "ev-follow", "-C", "3", "-W", "20"}));
  REQUIRE(follow.wait_output("following events after event", kWait, /*in_stderr=*/true));
  publish_from(h, "ev-other", {"not this device"});
  publish_from(h, "ev-follow", {"after-1", "after-2"});
  publish_from(h, "ev-follow", {"after-3", "after-4"});

  auto done = follow.wait(kWait);
  INFO("stdout: " << done.out << "\nstderr: " << done.err);
  CHECK(done.exit_code == 0);
  auto events = events_of(done.out);
  CHECK(payloads_of(events) == std::vector<std::string>{"after-1", "after-2", "after-3"});
  for (const auto& e : events) {
    CHECK(e["type"] == "uplink");
    CHECK(e["device"] == "ev-follow");
  }

  // SIGTERM while the stream is quiet: kite stops at once and says so, exit 0.
  KiteChild idle(api_args(h, {"events", "--device", "ev-nobody"}));
  REQUIRE(idle.wait_output("following events", kWait, /*in_stderr=*/true));
  idle.signal(SIGTERM);
  auto stopped = idle.wait(kWait);
  CHECK(stopped.exit_code == 0);
  CHECK(stopped.err.find("SIGTERM: stopping after 0 event(s)") != std::string::npos);

  // -W: nothing matching comes, so it gives up: exit 1, after the time and not before.
  const Millis started = now_ms();
  auto quiet = events_run(h, {"--device", "ev-nobody", "-W", "1"});
  CHECK(quiet.exit_code == 1);
  CHECK(now_ms() - started >= 1000);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.find("gave up after 1 s (-W): 0 event(s) received") != std::string::npos);
}

TEST_CASE("32.3 cli: kite events --after ID prints exactly the events after it, streamed or not") {
  Harness h;
  publish_from(h, "ev-resume", {"r-1", "r-2", "r-3", "r-4"});
  auto all = events_run(h, {"--from-start", "--once", "--type", "uplink"});
  REQUIRE(all.exit_code == 0);
  auto events = events_of(all.out);
  REQUIRE(events.size() == 4);
  const std::string second = events[1]["id"];
  const auto lines = lines_of(all.out);
  const std::vector<std::string> later(lines.begin() + 2, lines.end());

  auto once = events_run(h, {"--after", second, "--once", "--type", "uplink"});
  INFO("stderr: " << once.err);
  CHECK(once.exit_code == 0);
  CHECK(lines_of(once.out) == later);

  // The stream from the same place: the same two lines, then -C ends it.
  auto streamed = events_run(h, {"--after", second, "--type", "uplink", "-C", "2", "-W", "10"});
  INFO("stderr: " << streamed.err);
  CHECK(streamed.exit_code == 0);
  CHECK(lines_of(streamed.out) == later);
  CHECK(streamed.err.find("following events after event " + second) != std::string::npos);

  // An id this kited never gave: a gap record first (also said on stderr), then all it holds.
  auto unknown = events_run(h, {"--after", "18446744073709551000", "--once", "--type", "uplink"});
  INFO("stderr: " << unknown.err);
  CHECK(unknown.exit_code == 0);
  auto with_gap = events_of(unknown.out);
  REQUIRE(with_gap.size() == 5);
  CHECK(with_gap[0]["type"] == "gap");
  CHECK(with_gap[0]["missed_first"] == "0");
  CHECK(payloads_of({with_gap.begin() + 1, with_gap.end()}) ==
        std::vector<std::string>{"r-1", "r-2", "r-3", "r-4"});
  CHECK(unknown.err.find("gap: the id to resume after is not one this kited gave") !=
        std::string::npos);
}

TEST_CASE("32.4 cli: kite events --poll long-polls from now on; --poll --once one answer") {
  Harness h;
  publish_from(h, "ev-poll", {"old"});
  KiteChild poll(api_args(h, {"events", "--poll", "--wait", "1", "--type", "uplink", "--device",
                              "ev-poll", "-C", "3", "-W", "20"}));
  REQUIRE(poll.wait_output("polling events after event", kWait, /*in_stderr=*/true));
  publish_from(h, "ev-poll", {"p-1"});
  publish_from(h, "ev-poll", {"p-2", "p-3", "p-4"});
  auto done = poll.wait(kWait);
  INFO("stdout: " << done.out << "\nstderr: " << done.err);
  CHECK(done.exit_code == 0);
  CHECK(payloads_of(events_of(done.out)) == std::vector<std::string>{"p-1", "p-2", "p-3"});

  // SIGINT in the middle of a long-poll's wait: answered at once, not when the wait is over.
  KiteChild waiting(api_args(h, {"events", "--poll", "--wait", "60", "--device", "ev-nobody"}));
  REQUIRE(waiting.wait_output("polling events", kWait, /*in_stderr=*/true));
  const Millis interrupted = now_ms();
  waiting.signal(SIGINT);
  auto stopped = waiting.wait(kWait);
  CHECK(stopped.exit_code == 0);
  CHECK(now_ms() - interrupted < 2000);
  CHECK(stopped.err.find("SIGINT: stopping") != std::string::npos);

  auto once = events_run(h, {"--poll", "--once", "--from-start", "--type", "uplink"});
  INFO("once stderr: " << once.err);
  CHECK(once.exit_code == 0);
  CHECK(payloads_of(events_of(once.out)) ==
        std::vector<std::string>{"old", "p-1", "p-2", "p-3", "p-4"});
}

TEST_CASE("32.5 cli: kite events errors say what to do: token, no kited, stream off, usage") {
  Harness h;
  auto refused = run_kite({"events", "--once", "--api",
                           "http://127.0.0.1:" + std::to_string(h.kited.admin_port()), "--token",
                           "not-the-token"});
  CHECK(refused.exit_code == 3);
  CHECK(refused.err.find("refused the token (401)") != std::string::npos);
  CHECK(refused.err.find("--token") != std::string::npos);
  auto refused_stream =
      run_kite({"events", "--api", "http://127.0.0.1:" + std::to_string(h.kited.admin_port()),
                "--token", "not-the-token", "-W", "5"});
  CHECK(refused_stream.exit_code == 3);

  auto nobody = run_kite({"events", "--api", "http://127.0.0.1:" + std::to_string(free_port()),
                          "--token", kAdminToken});
  CHECK(nobody.exit_code == 3);
  CHECK(nobody.err.find("cannot reach kited's admin API") != std::string::npos);

  Harness off({"--set", "events.retention_events=0"});
  auto stream_off = events_run(off, {"-W", "5"});
  CHECK(stream_off.exit_code == 1);
  CHECK(stream_off.err.find("Event stream off (404)") != std::string::npos);
  CHECK(stream_off.err.find("retention_events") != std::string::npos);

  CHECK(events_run(h, {"--after", "5", "--from-start"}).exit_code == 2);
  CHECK(events_run(h, {"--type", "uplinks"}).exit_code == 2);
  CHECK(events_run(h, {"--wait", "5"}).exit_code == 2);  // --wait without --poll
  CHECK(events_run(h, {"--poll", "--wait", "6m"}).exit_code == 2);
  CHECK(events_run(h, {"--device", "a/b"}).exit_code == 2);
  CHECK(run_kite({"events", "--once"}).exit_code == 2);  // no token
}

TEST_CASE("32.6 cli: kite events reconnects a dropped stream with Last-Event-ID, losing nothing") {
  Harness h;
  KiteChild follow(
      api_args(h, {"events", "--type", "uplink", "--device", "ev-drop", "-C", "4", "-W", "30"}));
  REQUIRE(follow.wait_output("following events", kWait, /*in_stderr=*/true));
  publish_from(h, "ev-drop", {"d-1", "d-2"});
  REQUIRE(follow.wait_output("\"d-2\"", kWait));

  h.kited.kill9();  // the stream breaks; what was acknowledged is in the store
  h.kited.restart(/*same_ports=*/true);
  h.reattach();
  publish_from(h, "ev-drop", {"d-3", "d-4"});

  auto done = follow.wait(20'000);
  INFO("stdout: " << done.out << "\nstderr: " << done.err);
  CHECK(done.exit_code == 0);
  auto events = events_of(done.out);
  CHECK(payloads_of(events) == std::vector<std::string>{"d-1", "d-2", "d-3", "d-4"});
  CHECK(done.err.find("stream dropped") != std::string::npos);
  CHECK(done.err.find("reconnected, resuming after event " +
                      events.at(1)["id"].get<std::string>()) != std::string::npos);
}

TEST_CASE("32.7 cli: kite publish sends stdin lines as uplinks, QoS 1 acknowledged, in order") {
  Harness h;
  auto run = run_kite(publish_args(h, "pub-lines",
                                   {"--master-key", master_key_hex(), "--topic", "telemetry",
                                    "--content-type", "text/plain", "-W", "20"}),
                      "m-1\nm-2\r\n\nm-3\nm-4\nm-5");
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 0);
  CHECK(lines_of(run.out) ==
        std::vector<std::string>{"1 acked", "2 acked", "3 acked", "4 acked", "5 acked"});

  auto uplinks = events_run(h, {"--once", "--type", "uplink", "--device", "pub-lines"});
  REQUIRE(uplinks.exit_code == 0);
  auto events = events_of(uplinks.out);
  CHECK(payloads_of(events) == std::vector<std::string>{"m-1", "m-2", "m-3", "m-4", "m-5"});
  for (std::size_t i = 0; i < events.size(); ++i) {
    CHECK(events[i]["topic"] == "telemetry");
    CHECK(events[i]["content_type"] == "text/plain");
    CHECK(events[i]["qos"] == 1);
    CHECK(events[i]["seq"] == i + 1);  // each run is a new session: numbers are the seqs
  }

  // One payload as an argument, in hex, QoS 0, --quiet: nothing on stdout, the bytes arrive.
  auto hex = run_kite(publish_args(
      h, "pub-hex",
      {"--key", key_hex("pub-hex"), "--hex", "--qos", "0", "--quiet", "00ff6b697465"}));
  INFO("hex stderr: " << hex.err);
  CHECK(hex.exit_code == 0);
  CHECK(hex.out.empty());
  auto bytes = events_once_some(h, {"--once", "--type", "uplink", "--device", "pub-hex"});
  REQUIRE(bytes.size() == 1);
  const std::string raw("\x00\xffkite", 6);
  CHECK(
      bytes[0]["payload_base64"] ==
      protocol::base64url_encode({reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size()}));
  CHECK(bytes[0]["qos"] == 0);
}

TEST_CASE("32.8 cli: kite publish: more lines than the SDK queues, refused keys, usage errors") {
  Harness h;
  // 600 lines: more than the SDK's queue (256) and than kited's uplink burst (200), so kite must
  // wait for room rather than fail.
  std::string input;
  for (int i = 1; i <= 600; ++i) input += "line-" + std::to_string(i) + "\n";
  auto many = run_kite(
      publish_args(h, "pub-many", {"--master-key", master_key_hex(), "--quiet", "-W", "25"}),
      input);
  INFO("stderr: " << many.err);
  CHECK(many.exit_code == 0);
  auto count = events_of(
      events_run(h, {"--once", "--type", "uplink", "--device", "pub-many", "--limit", "1000"}).out);
  CHECK(count.size() == 600);
  CHECK(count.back()["payload"] == "line-600");

  auto wrong = run_kite(
      publish_args(h, "pub-wrong", {"--key", key_hex("someone-else"), "-W", "20", "hello"}));
  CHECK(wrong.exit_code == 3);
  CHECK(wrong.err.find("AuthFailed") != std::string::npos);
  CHECK(wrong.err.find("1 of 1 message(s) not acknowledged") != std::string::npos);

  auto nobody = run_kite({"publish", "--port", std::to_string(free_port()), "--id", "pub-x",
                          "--master-key", master_key_hex(), "-W", "500ms", "x"});
  CHECK(nobody.exit_code == 3);
  CHECK(nobody.err.find("could not connect") != std::string::npos);

  // A kited that records no uplink events keeps no QoS 1 uplink: it refuses each one, and kite
  // says so per message (exit 1) instead of waiting for an acknowledgement that never comes.
  Harness off({"--set", "events.retention_events=0"});
  auto refused =
      run_kite(publish_args(off, "pub-off", {"--master-key", master_key_hex(), "-W", "20", "x"}));
  INFO("refused stderr: " << refused.err);
  CHECK(refused.exit_code == 1);
  CHECK(refused.out.empty());
  CHECK(refused.err.find("message 1: ") != std::string::npos);
  CHECK(refused.err.find("1 message(s) not sent or refused") != std::string::npos);

  CHECK(run_kite(publish_args(h, "d", {"x"})).exit_code == 2);  // no credentials
  CHECK(run_kite(publish_args(h, "d", {"--master-key", master_key_hex(), "--hex", "xyz"}))
            .exit_code == 2);
  CHECK(run_kite(publish_args(h, "d", {"--master-key", master_key_hex(), "--qos", "2", "x"}))
            .exit_code == 2);
  CHECK(run_kite(
            publish_args(h, "d",
                         {"--master-key", master_key_hex(), "--topic", std::string(257, 't'), "x"}))
            .exit_code == 2);
}

TEST_CASE(
    "32.9 cli: kite events --poll --consumer-group --ack: two members share each event once") {
  Harness h;
  for (const char* device : {"cg-a", "cg-b", "cg-c", "cg-d"})
    publish_from(h, device, {"u-1", "u-2", "u-3", "u-4", "u-5"});
  h.wait_events("", 28);  // the disconnects are shown once written (write-behind)
  auto truth = events_run(h, {"--from-start", "--once"});
  REQUIRE(truth.exit_code == 0);
  auto all = ids_of(events_of(truth.out));
  REQUIRE(all.size() == 28);  // each device: connect, 5 uplinks, disconnect

  // Small pages, so that the second member joins while the first is still reading.
  const auto member = [&](const std::string& name) {
    return api_args(h, {"events", "--poll", "--wait", "1", "--limit", "3", "--from-start",
                        "--consumer-group", "g", "--member", name, "--ack"});
  };
  KiteChild m1(member("m1"));
  KiteChild m2(member("m2"));
  // Both have had an answer, so both watch SIGTERM (under the sanitizers a kite can take long
  // enough to start that a signal would otherwise find it with the default action).
  REQUIRE(m1.wait_output("polling events", kWait, /*in_stderr=*/true));
  REQUIRE(m2.wait_output("polling events", kWait, /*in_stderr=*/true));
  const bool drained = lag_drains(h, "g");
  m1.signal(SIGTERM);
  m2.signal(SIGTERM);
  auto one = m1.wait(kWait), two = m2.wait(kWait);
  INFO("m1 stdout: " << one.out << "\nm1 stderr: " << one.err << "\nm2 stdout: " << two.out
                     << "\nm2 stderr: " << two.err);
  CHECK(drained);
  CHECK(one.exit_code == 0);
  CHECK(two.exit_code == 0);
  CHECK(one.err.find("without --ack") == std::string::npos);
  auto together = ids_of(events_of(one.out));
  for (const auto& id : ids_of(events_of(two.out))) together.push_back(id);
  std::sort(together.begin(), together.end());
  std::sort(all.begin(), all.end());
  CHECK(together == all);  // every event, each once
  CHECK(group_lag(h, "g") == std::uint64_t{0});

  // Without --ack: said at start, since the events would go to another member again.
  auto unacked = events_run(h, {"--poll", "--once", "--consumer-group", "look", "--member", "x"});
  CHECK(unacked.exit_code == 0);
  CHECK(unacked.err.find("without --ack nothing is acknowledged") != std::string::npos);
}

TEST_CASE("32.10 cli: kite events streams as a consumer group member and acks what it printed") {
  Harness h;
  // Exactly 5 events in the log: connect, 3 uplinks, disconnect. -C 5 takes them all, so the
  // group's lag counts nothing that kite did not print.
  publish_from(h, "cg-stream", {"s-1", "s-2", "s-3"});

  auto run = events_run(h, {"--consumer-group", "s", "--member", "x", "--ack", "-C", "5",
                            "--from-start", "-W", "20"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 0);
  CHECK(payloads_of(events_of(run.out)) == std::vector<std::string>{"-", "s-1", "s-2", "s-3", "-"});
  CHECK(run.err.find("following events from the oldest event kited holds") != std::string::npos);
  // The final ack at exit covered the last events: nothing of the group is unacknowledged.
  CHECK(lag_drains(h, "s"));
}

TEST_CASE("32.11 cli: kite events consumer group usage errors exit 2 and name the rule") {
  Harness h;
  auto alone = events_run(h, {"--consumer-group", "g", "--once"});
  CHECK(alone.exit_code == 2);
  CHECK(alone.err.find("--consumer-group and --member go together") != std::string::npos);
  CHECK(events_run(h, {"--member", "m", "--once"}).exit_code == 2);
  auto ack = events_run(h, {"--ack", "--once"});
  CHECK(ack.exit_code == 2);
  CHECK(ack.err.find("--ack is for a consumer group member") != std::string::npos);
  auto bad = events_run(h, {"--consumer-group", "a/b", "--member", "m", "--once"});
  CHECK(bad.exit_code == 2);
  CHECK(bad.err.find("1 to 64 of A-Z a-z 0-9 . _ -") != std::string::npos);
  CHECK(events_run(h, {"--consumer-group", "g", "--member", std::string(65, 'm'), "--once"})
            .exit_code == 2);
}

}  // namespace kite::it
