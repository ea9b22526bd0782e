// The example programs (examples/thermostat, examples/game_client, examples/bring-your-own-loop)
// as child processes against a real kited: what they send is read from GET /v1/events, what they
// receive from their stdout.
#include <csignal>
#include <functional>
#include <optional>

#include "child_process.h"
#include "harness.h"
#include "sdk_probe.h"

namespace kite::it {
namespace {

using nlohmann::json;

// The uplink messages one device sent, read with GET /v1/events long-polls in order, payloads
// parsed as JSON (a discarded value when they are not).
class Uplinks {
 public:
  Uplinks(const Harness& h, std::string device) : h_(h), device_(std::move(device)) {}

  // Waits up to kWait for an uplink on `topic` after those returned before whose payload
  // satisfies `accept`; nullopt if none came.
  std::optional<json> next(const std::string& topic,
                           const std::function<bool(const json&)>& accept = {}) {
    const Millis deadline = now_ms() + kWait;
    for (;;) {
      for (; read_ < events_.size(); ++read_) {
        const auto& [event_topic, payload] = events_[read_];
        if (event_topic == topic && (!accept || accept(payload))) return events_[read_++].second;
      }
      if (now_ms() >= deadline) return std::nullopt;
      poll(200);
    }
  }

  // Every payload on `topic` seen so far (after one more poll that does not wait).
  std::vector<json> all(const std::string& topic) {
    poll(0);
    std::vector<json> payloads;
    for (const auto& [event_topic, payload] : events_)
      if (event_topic == topic) payloads.push_back(payload);
    return payloads;
  }

  // Waits up to kWait until `count` uplinks on `topic` were seen; all of them.
  std::vector<json> at_least(const std::string& topic, std::size_t count) {
    const Millis deadline = now_ms() + kWait;
    auto payloads = all(topic);
    while (payloads.size() < count && now_ms() < deadline) {
      poll(200);
      payloads = all(topic);
    }
    return payloads;
  }

 private:
  void poll(int wait_ms) {
    auto answer =
        h_.http.request("GET", "/v1/events?type=uplink&limit=1000&device=" + device_ +
                                   "&wait=" + std::to_string(wait_ms) + "ms&after=" + after_);
    INFO("GET /v1/events: " << answer.status << " " << answer.body);
    REQUIRE(answer.status == 200);
    auto body = answer.json();
    for (const auto& event : body["events"]) {
      CHECK(event["device"] == device_);
      events_.emplace_back(event.value("topic", ""),
                           json::parse(event.value("payload", ""), nullptr, false));
    }
    if (body.contains("last_id")) after_ = body["last_id"].get<std::string>();
  }

  const Harness& h_;
  std::string device_;
  std::string after_ = "0";  // kited is fresh: everything it holds is this test's
  std::vector<std::pair<std::string, json>> events_;
  std::size_t read_ = 0;
};

// POST /v1/devices/{id}/commands; the answer's body (the device's status and payload).
json command(const Harness& h, const std::string& device, const std::string& name,
             const std::string& payload) {
  const json request = {{"name", name}, {"payload", payload}, {"timeout_ms", 3000}};
  auto answer = h.http.request("POST", "/v1/devices/" + device + "/commands", request.dump());
  INFO("command " << name << " " << payload << ": " << answer.status << " " << answer.body);
  REQUIRE(answer.status == 200);
  return answer.json();
}

// An example's command line for device `id` on h's kited, with its key, then `more`.
std::vector<std::string> device_args(const Harness& h, const std::string& id,
                                     const std::vector<std::string>& more,
                                     const std::string& key_of = {}) {
  std::vector<std::string> args = {"--port", std::to_string(h.kited.device_port()),
                                   "--id",   id,
                                   "--key",  device_key_hex(key_of.empty() ? id : key_of)};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

// Every move of a player is {"n":i,"x":..,"y":..}, n counting from 1 in order, one step apart.
void check_moves(const std::vector<json>& moves) {
  int x = 0, y = 0;
  for (std::size_t i = 0; i < moves.size(); ++i) {
    INFO("move " << i << ": " << moves[i].dump());
    REQUIRE(moves[i].is_object());
    CHECK(moves[i]["n"] == i + 1);
    REQUIRE(moves[i]["x"].is_number_integer());
    REQUIRE(moves[i]["y"].is_number_integer());
    CHECK(std::abs(moves[i]["x"].get<int>() - x) <= 1);
    CHECK(std::abs(moves[i]["y"].get<int>() - y) <= 1);
    x = moves[i]["x"];
    y = moves[i]["y"];
  }
}

}  // namespace

TEST_CASE("16.1 examples: the thermostat sends telemetry, obeys set_target and reports its state") {
  Harness h;
  const std::string id = "thermostat-1";
  ChildProcess thermostat("thermostat", THERMOSTAT_PATH, device_args(h, id, {"--interval", "100"}));
  Uplinks uplinks(h, id);

  // The state at start, then a reading every 100 ms.
  auto initial = uplinks.next("state");
  REQUIRE(initial);
  CHECK(*initial == json{{"target", 21.0}, {"heating", false}});
  auto reading = uplinks.next("telemetry");
  REQUIRE(reading);
  INFO("telemetry: " << reading->dump());
  REQUIRE(reading->is_object());
  CHECK(reading->size() == 3);
  CHECK((*reading)["celsius"].is_number());
  CHECK((*reading)["target"] == 21.0);
  CHECK((*reading)["heating"].is_boolean());
  CHECK(uplinks.at_least("telemetry", 3).size() >= 3);  // it goes on
  CHECK(thermostat.wait_err("thermostat: connected", kWait));

  // set_target 23.5: status 0 and the new state (the room cannot be above 21.5 yet: the heater
  // is on).
  auto reply = command(h, id, "set_target", "23.5");
  CHECK(reply["status"] == 0);
  auto state = json::parse(reply.value("payload", ""), nullptr, false);
  CHECK(state == json{{"target", 23.5}, {"heating", true}});
  auto reported = uplinks.next(
      "state", [](const json& s) { return s.is_object() && s.value("target", 0.0) == 23.5; });
  REQUIRE(reported);
  CHECK(*reported == state);
  auto after = uplinks.next(
      "telemetry", [](const json& t) { return t.is_object() && t.value("target", 0.0) == 23.5; });
  CHECK(after);

  // Anything but a number from 5 to 30 is a 400 that changes nothing; other commands are 404.
  for (const char* bad : {"hot", "99", "4.9", "23.5C", "", "nan"}) {
    INFO("set_target \"" << bad << "\"");
    auto refused = command(h, id, "set_target", bad);
    CHECK(refused["status"] == 400);
    CHECK(refused.value("payload", "").find("from 5 to 30") != std::string::npos);
  }
  auto unknown = command(h, id, "reboot", "");
  CHECK(unknown["status"] == 404);
  CHECK(unknown.value("payload", "").find("set_target") != std::string::npos);
  const auto readings = uplinks.all("telemetry").size();
  auto later = uplinks.at_least("telemetry", readings + 1);  // one taken after the refusals
  REQUIRE(later.size() > readings);
  CHECK(later.back()["target"] == 23.5);
  auto states = uplinks.all("state");  // the heater switching on and off is reported too
  REQUIRE(states.size() >= 2);
  for (const auto& s : states) CHECK((s["target"] == 21.0 || s["target"] == 23.5));
  CHECK(states.back()["target"] == 23.5);

  // SIGTERM: a goodbye to the server and exit 0.
  thermostat.signal(SIGTERM);
  CHECK(thermostat.wait_exit(kWait) == 0);
  CHECK(thermostat.err().find("thermostat: stopping") != std::string::npos);
  auto gone = h.wait_device(id, [](const json& b) { return b["online"] == false; });
  CHECK(gone["online"] == false);
  auto disconnects = h.wait_events("type=disconnect", 1);
  REQUIRE(disconnects["events"].size() == 1);
  CHECK(disconnects["events"][0]["reason"] == "NormalClose");
}

TEST_CASE("16.2 examples: two players join a room, both get its broadcasts, their moves arrive") {
  Harness h;
  const std::vector<std::string> ids = {"player-a", "player-b"};
  std::vector<std::unique_ptr<ChildProcess>> players;
  for (const auto& id : ids)
    players.push_back(std::make_unique<ChildProcess>(
        id, GAME_CLIENT_PATH, device_args(h, id, {"--room", "arena", "--interval", "100"})));
  for (auto& player : players) REQUIRE(player->wait_err("joined room arena", kWait));
  auto room = h.http.request("GET", "/v1/groups/arena").json();
  CHECK(room["size"] == 2);

  // A group send, QoS 1 with a topic, then QoS 0 without: one line each on both stdouts.
  auto sent = h.http.request("POST", "/v1/messages",
                             R"({"group":"arena","topic":"round","payload":"round 1: go"})");
  REQUIRE(sent.status == 200);
  CHECK(sent.json()["summary"]["queued"] == 2);
  for (auto& player : players) CHECK(player->wait_out("round: round 1: go\n", kWait));
  auto blink =
      h.http.request("POST", "/v1/messages", R"({"group":"arena","payload":"tick","qos":0})");
  REQUIRE(blink.status == 200);
  CHECK(blink.json()["summary"]["sent"] == 2);
  for (auto& player : players) CHECK(player->wait_out("tick\n", kWait));

  // Each player's moves reach the backend as uplink events, numbered in order.
  for (const auto& id : ids) {
    INFO(id);
    Uplinks uplinks(h, id);
    auto moves = uplinks.at_least("move", 3);
    CHECK(moves.size() >= 3);
    check_moves(moves);
  }

  for (auto& player : players) player->signal(SIGTERM);
  for (auto& player : players) {
    CHECK(player->wait_exit(kWait) == 0);
    CHECK(player->out() == "round: round 1: go\ntick\n");  // every message, once
  }
}

TEST_CASE("16.3 examples: a player with --moves 3 leaves once its third move is confirmed") {
  Harness h;
  ChildProcess player(
      "player-c", GAME_CLIENT_PATH,
      device_args(h, "player-c", {"--room", "lobby", "--interval", "50", "--moves", "3"}));
  REQUIRE(player.wait_exit(kWait) == 0);
  Uplinks uplinks(h, "player-c");
  auto moves = uplinks.all("move");
  CHECK(moves.size() == 3);
  check_moves(moves);
  CHECK(player.err().find("3 moves sent, 3 confirmed") != std::string::npos);
  auto gone = h.wait_device("player-c", [](const json& b) { return b["online"] == false; });
  CHECK(gone["online"] == false);
  CHECK(player.out().empty());
}

TEST_CASE("16.4 examples: refused credentials end both examples with exit code 1") {
  Harness h;
  // The key of another device: kited refuses the handshake, and the SDK does not retry.
  ChildProcess thermostat("thermostat", THERMOSTAT_PATH,
                          device_args(h, "thermostat-2", {}, "someone-else"));
  ChildProcess player("player-d", GAME_CLIENT_PATH,
                      device_args(h, "player-d", {"--room", "arena"}, "someone-else"));
  CHECK(thermostat.wait_exit(kWait) == 1);
  CHECK(thermostat.err().find("AuthFailed") != std::string::npos);
  CHECK(player.wait_exit(kWait) == 1);
  CHECK(player.err().find("AuthFailed") != std::string::npos);

  ChildProcess usage("thermostat", THERMOSTAT_PATH, {"--id"});
  CHECK(usage.wait_exit(kWait) == 2);
  CHECK(usage.err().find("usage: thermostat") != std::string::npos);
}

TEST_CASE(
    "16.5 examples: bring-your-own-loop drives the SDK from poll(): messages, resume, readings, "
    "goodbye") {
  Harness h;
  const std::string id = "byol-1";
  ChildProcess device("bring-your-own-loop", BRING_YOUR_OWN_LOOP_PATH,
                      {"127.0.0.1", std::to_string(h.kited.device_port()), id, device_key_hex(id)});
  REQUIRE(device.wait_err("connected", kWait));
  h.send_ok(id, "hello");
  CHECK(device.wait_out("hello\n", kWait));
  // kited killed and started again on the same port: the loop reconnects and resumes.
  h.kited.kill9();
  h.kited.restart(/*same_ports=*/true);
  h.reattach();
  h.send_ok(id, "again");
  CHECK(device.wait_out("hello\nagain\n", 2 * kWait));
  Uplinks uplinks(h, id);
  auto reading = uplinks.next("reading");  // one every 5 s
  REQUIRE(reading.has_value());
  // SIGTERM: the loop stops the client, writes its goodbye and exits 0.
  device.signal(SIGTERM);
  CHECK(device.wait_exit(kWait) == 0);
  auto gone = h.wait_device(id, [](const json& b) { return b["online"] == false; });
  CHECK(gone["online"] == false);
  const auto disconnects = h.wait_events("type=disconnect&device=" + id, 1)["events"];
  REQUIRE(!disconnects.empty());
  CHECK(disconnects.back()["reason"] == "NormalClose");
}

}  // namespace kite::it
