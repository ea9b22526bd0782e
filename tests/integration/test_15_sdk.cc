// The device SDK (kite::Client) against a real kited: messages, commands, uplink with
// completions, groups, resume across a server restart, back-off, goaway, the offline queue and
// calls made from inside callbacks.
#include <uv.h>

#include <atomic>
#include <csignal>
#include <fstream>
#include <set>
#include <thread>

#include "harness.h"
#include "revocation_file.h"
#include "sdk_probe.h"

namespace kite::it {

TEST_CASE("15.1 sdk: connects, receives, acks, answers a command, publishes and joins a group") {
  Harness h;
  auto options = sdk_options("sdk-basic", h.kited.device_port());
  options.host = "localhost";  // resolved; kited listens on 127.0.0.1 only, whatever comes first
  Client client(options);
  SdkProbe probe(client);
  REQUIRE(client.start() == Error::Ok);
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  CHECK(client.state() == State::Connected);

  h.send_ok("sdk-basic", "hello device");
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() == 1; }, kWait));
  CHECK(probe.snapshot().messages[0] == "hello device");
  auto info = h.wait_device("sdk-basic", [](const auto& b) { return b["acked_through"] == 1; });
  CHECK(info["acked_through"] == 1);
  CHECK(info["online"] == true);

  auto answer = h.http.request("POST", "/v1/devices/sdk-basic/commands",
                               R"({"name":"set_target","payload":"21.5","timeout_ms":3000})");
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  CHECK(answer.json()["payload"] == "set_target:21.5");

  REQUIRE(client.publish({.payload = "reading 1", .topic = "telemetry"}, probe.completion()) ==
          Error::Ok);
  REQUIRE(client.join("room-1", probe.completion()) == Error::Ok);
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.completions.size() == 2; }, kWait));
  for (const auto& [error, detail] : probe.snapshot().completions) {
    // INFO and CAPTURE are lambdas, and clang 14 cannot capture a structured binding.
    const auto& why = detail;
    INFO(why);
    CHECK(error == Error::Ok);
  }
  CHECK(h.http.request("GET", "/v1/groups/room-1").json()["size"] == 1);
  CHECK(client.queued() == 0);

  client.stop();
  REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
  CHECK(client.publish({.payload = "late"}) == Error::Stopped);
  auto gone = h.wait_device("sdk-basic", [](const auto& b) { return b["online"] == false; });
  CHECK(gone["online"] == false);
}

}  // namespace kite::it

namespace kite::it {
namespace {

// The uplink payloads kited recorded for `device`, in order (GET /v1/events, held since boot).
std::vector<std::string> uplinks_of(const Harness& h, const std::string& device) {
  auto body =
      h.http.request("GET", "/v1/events?type=uplink&wait=0s&limit=1000&after=0&device=" + device)
          .json();
  std::vector<std::string> payloads;
  for (const auto& event : body["events"]) payloads.push_back(event["payload"]);
  return payloads;
}

std::vector<std::uint32_t> retry_delays(const SdkRecord& r) {
  std::vector<std::uint32_t> delays;
  for (const auto& s : r.states)
    if (s.state == State::Disconnected) delays.push_back(s.retry_in_ms);
  return delays;
}

}  // namespace

TEST_CASE(
    "15.2 sdk: kited killed (-9) and restarted twice mid-stream: every message once, in order") {
  Harness h;
  Client client(sdk_options("sdk-restart", h.kited.device_port()));
  SdkProbe probe(client);
  REQUIRE(client.start() == Error::Ok);
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));

  constexpr int kMessages = 300;
  std::size_t uplinks = 0;
  for (int i = 0; i < kMessages; ++i) {
    // kill -9 while the device is still taking the previous hundred, then a start on the same
    // ports and data directory: the client finds it again by itself.
    // Each kill must end a session: before the second, the client is back from the first (it
    // retries within lost_reconnect_spread_ms, which can outlast a whole restart).
    if (i == 100 || i == 200) {
      REQUIRE(probe.wait_state(State::Connected, static_cast<std::size_t>(i / 100), kWait));
      h.kited.restart(/*same_ports=*/true);
    }
    if (i % 10 == 0) {
      REQUIRE(client.publish({.payload = numbered("up", i)}, probe.completion()) == Error::Ok);
      ++uplinks;
    }
    h.send_ok("sdk-restart", numbered("m", i));
  }
  REQUIRE(probe.wait([&](const SdkRecord& r) { return r.messages.size() >= kMessages; }, 20'000));
  REQUIRE(probe.wait([&](const SdkRecord& r) { return r.completions.size() == uplinks; }, kWait));
  probe.wait([](const SdkRecord&) { return false; }, 300);  // a quiet period: no duplicate late

  auto r = probe.snapshot();
  REQUIRE(r.messages.size() == kMessages);  // nothing twice
  for (int i = 0; i < kMessages; ++i) {
    CHECK(r.messages[i] == numbered("m", i));  // nothing lost, in order
    CHECK(r.seqs[i] == static_cast<std::uint64_t>(i + 1));
  }
  for (const auto& [error, detail] : r.completions) {
    // INFO and CAPTURE are lambdas, and clang 14 cannot capture a structured binding.
    const auto& why = detail;
    INFO(why);
    CHECK(error == Error::Ok);  // every uplink confirmed by a server
  }
  // Two losses, each followed by a resumed session (the store kept it across kill -9).
  CHECK(probe.count_state(State::Disconnected) >= 2);
  std::size_t connected = 0;
  for (const auto& s : r.states) {
    if (s.state != State::Connected) continue;
    if (connected++ > 0) CHECK(s.resumed);
  }
  CHECK(connected >= 2);
  // A kill -9 says no goodbye: the app is told the connection was lost, not closed normally.
  for (std::size_t i = 0; i < r.states.size(); ++i) {
    if (r.states[i].state != State::Disconnected || r.state_reasons[i] == "ConnectFailed") continue;
    CHECK(r.state_reasons[i] == "ConnectionLost");
  }
  auto info = h.wait_device("sdk-restart", [](const auto& b) { return b["queued"] == 0; });
  CHECK(info["acked_through"] == kMessages);
}

TEST_CASE("15.3 sdk: reconnect delays are spread, capped, and reset after a stable connection") {
  const std::uint16_t port = free_port();  // nothing listens yet: every attempt is refused
  auto options = sdk_options("sdk-backoff", port);
  options.backoff_initial_ms = 20;
  options.lost_reconnect_spread_ms = 20;
  options.backoff_max_ms = 160;
  options.stable_after_ms = 300;
  Client client(options);
  SdkProbe probe(client);
  REQUIRE(client.start() == Error::Ok);
  REQUIRE(probe.wait_state(State::Disconnected, 25, 15'000));

  auto r = probe.snapshot();
  auto delays = retry_delays(r);
  std::string all_delays;
  for (auto d : delays) all_delays += std::to_string(d) + " ";
  INFO("delays: " << all_delays);
  CHECK(r.state_reasons[1] == "ConnectFailed");
  CHECK(delays[0] <= 20);  // windows 20, 40, 80, then the cap
  CHECK(delays[1] <= 40);
  CHECK(delays[2] <= 80);
  std::set<std::uint32_t> distinct;
  std::uint32_t low = 1'000, high = 0;
  for (std::size_t i = 0; i < delays.size(); ++i) {
    CHECK(delays[i] <= 160);  // capped
    if (i < 3) continue;
    distinct.insert(delays[i]);
    low = std::min(low, delays[i]);
    high = std::max(high, delays[i]);
  }
  CHECK(distinct.size() >= 10);  // spread: full jitter over the capped window, not a fixed step
  CHECK(low < 60);
  CHECK(high > 80);  // above the third window: the cap's window is drawn from
  // Each attempt waited at least its delay: Disconnected at t, the next Connecting at t + delay.
  for (std::size_t i = 0; i + 1 < r.states.size(); ++i) {
    if (r.states[i].state != State::Disconnected) continue;
    CHECK(r.states[i + 1].state == State::Connecting);
    CHECK(r.state_times[i + 1] - r.state_times[i] + 2 >= r.states[i].retry_in_ms);
  }

  KitedProcess kited({}, port);
  const std::size_t before = probe.count_state(State::Disconnected);
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // stable: above 300 ms
  kited.kill9();
  REQUIRE(probe.wait_state(State::Disconnected, before + 1, kWait));
  auto after_stable = retry_delays(probe.snapshot())[before];
  CHECK(after_stable <= 20);  // back to the first window
  // The client is still retrying, and `probe` is destroyed before it: stop it, and see it
  // stopped, so that no state change reaches a probe that is gone (ASan saw one).
  client.stop();
  CHECK(probe.wait_state(State::Stopped, 1, kWait));
}

TEST_CASE("15.4 sdk: goaway: reconnect-after honoured, replaced and revoked stop for good") {
  RevocationFile revocations;
  Harness h(revocations.kited_args());

  SUBCASE("kicked with a reconnect-after: the next attempt waits at least that long") {
    Client client(sdk_options("sdk-kicked", h.kited.device_port()));
    SdkProbe probe(client);
    REQUIRE(client.start() == Error::Ok);
    REQUIRE(probe.wait_state(State::Connected, 1, kWait));
    auto kick = h.http.request(
        "DELETE", "/v1/devices/sdk-kicked/connection?message=maintenance&reconnect_after_ms=700");
    REQUIRE(kick.status == 200);
    REQUIRE(probe.wait_state(State::Connected, 2, kWait));
    auto r = probe.snapshot();
    std::size_t lost = 0;
    while (r.states[lost].state != State::Disconnected) ++lost;
    CHECK(r.state_reasons[lost] == "Kicked");
    CHECK(r.states[lost].retry_in_ms >= 700);
    CHECK(r.state_times.back() - r.state_times[lost] >= 700);
    CHECK(r.states.back().resumed);
  }

  SUBCASE("replaced by a newer connection: no reconnect, no fight") {
    Client first(sdk_options("sdk-twin", h.kited.device_port()));
    SdkProbe first_probe(first);
    REQUIRE(first.start() == Error::Ok);
    REQUIRE(first_probe.wait_state(State::Connected, 1, kWait));
    REQUIRE(first.publish({.payload = "queued"}) == Error::Ok);

    Client second(sdk_options("sdk-twin", h.kited.device_port()));
    SdkProbe second_probe(second);
    REQUIRE(second.start() == Error::Ok);
    REQUIRE(first_probe.wait_state(State::Replaced, 1, kWait));
    CHECK(first.state() == State::Replaced);
    // A while later the first has not tried again, and the second still holds the device id.
    CHECK_FALSE(first_probe.wait_state(State::Connecting, 2, 1'000));
    CHECK(second_probe.count_state(State::Disconnected) == 0);
    CHECK(second.state() == State::Connected);
    CHECK(first.publish({.payload = "late"}) == Error::Stopped);
  }

  SUBCASE("revoked while connected: stopped for good") {
    Client client(sdk_options("sdk-revoked", h.kited.device_port()));
    SdkProbe probe(client);
    REQUIRE(client.start() == Error::Ok);
    REQUIRE(probe.wait_state(State::Connected, 1, kWait));
    revocations.revoke("sdk-revoked");
    h.kited.signal(SIGHUP);
    REQUIRE(probe.wait_state(State::Revoked, 1, kWait));
    CHECK_FALSE(probe.wait_state(State::Connecting, 2, 1'000));
    CHECK(probe.count_state(State::Disconnected) == 0);
  }
}

TEST_CASE("15.5 sdk: the offline queue is bounded, and what it held is sent once connected") {
  const std::uint16_t port = free_port();
  auto options = sdk_options("sdk-offline", port);
  options.max_queued = 4;
  options.max_queued_bytes = 64;
  Client client(options);
  SdkProbe probe(client);
  REQUIRE(client.start() == Error::Ok);
  for (int i = 0; i < 4; ++i)
    REQUIRE(client.publish({.payload = numbered("held", i)}, probe.completion()) == Error::Ok);
  CHECK(client.publish({.payload = "one too many"}, probe.completion()) == Error::QueueFull);
  CHECK(client.queued() == 4);
  CHECK(describe(Error::QueueFull).find("max_queued") != std::string_view::npos);
  REQUIRE(probe.wait_state(State::Disconnected, 2, kWait));
  CHECK(probe.snapshot().completions.empty());  // nothing sent yet, and no refusal reported

  Client bytes_bound(sdk_options("sdk-offline-2", port));
  auto small = sdk_options("sdk-offline-3", port);
  small.max_queued_bytes = 16;
  Client tiny(small);
  REQUIRE(tiny.start() == Error::Ok);
  CHECK(tiny.publish({.payload = "0123456789abcdef"}) == Error::Ok);
  CHECK(tiny.publish({.payload = "x"}) == Error::QueueFull);  // 17 bytes
  CHECK(bytes_bound.publish({.payload = "x"}) == Error::NotStarted);

  KitedProcess kited({"--set", "auth.master_key=" + master_key_hex()}, port);
  HttpClient http(kited.admin_port(), kAdminToken);
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.completions.size() == 4; }, kWait));
  for (const auto& [error, detail] : probe.snapshot().completions) CHECK(error == Error::Ok);
  CHECK(client.queued() == 0);
  auto body =
      http.request("GET", "/v1/events?type=uplink&wait=0s&after=0&device=sdk-offline").json();
  REQUIRE(body["events"].size() == 4);  // the refused fifth never went
  for (int i = 0; i < 4; ++i) CHECK(body["events"][i]["payload"] == numbered("held", i));
}

TEST_CASE("15.6 sdk: every call works from inside callbacks") {
  Harness h;
  Client* self = nullptr;
  std::atomic<int> chained{0};
  Completion chain = [&](Error e, std::string_view) {
    // A completion that publishes again.
    if (e == Error::Ok && chained++ == 0) self->publish({.payload = "chained"});
  };
  Client client(sdk_options("sdk-reentrant", h.kited.device_port()));
  self = &client;
  SdkProbe probe(
      client,
      [&](const Message& m) {
        if (m.payload == "echo") client.publish({.payload = "echo-back"}, chain);
        if (m.payload == "leave") client.leave("lobby");
        if (m.payload == "stop") client.stop();
      },
      [&](const StateChange& s) {
        if (s.state == State::Connected) client.join("lobby");
      });
  REQUIRE(client.start() == Error::Ok);
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  auto joined = [&] { return h.http.request("GET", "/v1/groups/lobby").status == 200; };
  for (Millis deadline = now_ms() + kWait; !joined() && now_ms() < deadline;)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling pace
  CHECK(joined());

  h.send_ok("sdk-reentrant", "echo");
  for (Millis deadline = now_ms() + kWait;
       uplinks_of(h, "sdk-reentrant").size() < 2 && now_ms() < deadline;)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK(uplinks_of(h, "sdk-reentrant") == std::vector<std::string>{"echo-back", "chained"});

  h.send_ok("sdk-reentrant", "leave");
  for (Millis deadline = now_ms() + kWait; joined() && now_ms() < deadline;)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  CHECK_FALSE(joined());
  auto acked =
      h.wait_device("sdk-reentrant", [](const auto& b) { return b["acked_through"] == 2; });
  CHECK(acked["acked_through"] == 2);

  h.send_ok("sdk-reentrant", "stop");
  REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
  CHECK(client.publish({.payload = "after stop"}) == Error::Stopped);
  auto info = h.wait_device("sdk-reentrant", [](const auto& b) { return b["online"] == false; });
  CHECK(info["online"] == false);
  CHECK(info["acked_through"] == 3);  // "stop" too: returning from the handler acknowledged it
}

TEST_CASE("15.7 sdk: on the caller's libuv loop, stop() from a callback lets the loop end") {
  Harness h;
  uv_loop_t loop;
  REQUIRE(uv_loop_init(&loop) == 0);
  std::vector<std::string> received;
  std::atomic<bool> connected{false};
  {
    Client client(sdk_options("sdk-loop", h.kited.device_port()), &loop);
    client.on_state([&](const StateChange& s) {
      if (s.state == State::Connected) connected = true;
    });
    client.on_message([&](const Message& m) {
      received.emplace_back(m.payload);
      if (m.payload == "bye") client.stop();
    });
    REQUIRE(client.start() == Error::Ok);
    std::thread backend([&] {
      for (Millis deadline = now_ms() + kWait; !connected && now_ms() < deadline;)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      for (auto payload : {"a", "b", "bye"}) h.http.send("sdk-loop", payload);
    });
    uv_run(&loop, UV_RUN_DEFAULT);  // returns once the client has closed everything it held
    backend.join();
    CHECK(client.state() == State::Stopped);
  }
  CHECK(received == std::vector<std::string>{"a", "b", "bye"});
  CHECK(uv_loop_close(&loop) == 0);  // no handle left behind
}

TEST_CASE("15.8 sdk: stop() in a message handler: what came with it stays with kited") {
  Harness h;
  // Queued while the device is offline, so that all five come in one burst on connecting.
  for (int i = 0; i < 5; ++i) h.send_ok("sdk-stopper", numbered("m", i));
  {
    Client client(sdk_options("sdk-stopper", h.kited.device_port()));
    SdkProbe probe(client, [&](const Message&) { client.stop(); });
    REQUIRE(client.start() == Error::Ok);
    REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
    CHECK(probe.snapshot().messages == std::vector<std::string>{numbered("m", 0)});
  }
  auto gone = h.wait_device("sdk-stopper", [](const auto& b) { return b["online"] == false; });
  CHECK(gone["acked_through"] == 1);  // the one the app saw, and only that one

  Client next(sdk_options("sdk-stopper", h.kited.device_port()));
  SdkProbe probe(next);
  REQUIRE(next.start() == Error::Ok);
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() >= 4; }, kWait));
  probe.wait([](const SdkRecord&) { return false; }, 200);  // a quiet period: nothing more
  CHECK(probe.snapshot().messages == std::vector<std::string>{numbered("m", 1), numbered("m", 2),
                                                              numbered("m", 3), numbered("m", 4)});
}

TEST_CASE("15.9 sdk: a reply too large for a frame reaches the backend as 413 at once") {
  Harness h;
  Client client(sdk_options("sdk-big-reply", h.kited.device_port()));
  SdkProbe probe(client);
  client.on_command([](const Command&) { return Reply{0, std::string(1u << 20, 'x')}; });
  REQUIRE(client.start() == Error::Ok);
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  const Millis start = now_ms();
  auto answer = h.http.request("POST", "/v1/devices/sdk-big-reply/commands",
                               R"({"name":"dump","timeout_ms":20000})");
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  CHECK(answer.json()["status"] == kReplyTooLarge);
  CHECK(std::string(answer.json()["payload"]).find("larger than a frame") != std::string::npos);
  CHECK(now_ms() - start < 10'000);           // not the backend's timeout
  CHECK(client.state() == State::Connected);  // and the connection carries on
}

}  // namespace kite::it
