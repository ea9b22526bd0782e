// Compression dictionaries end to end: a device's telemetry is recorded by kited A; `kite dict
// train` learns a dictionary from the recording; kited B offers it ([compression]
// dictionary_file) and a device that holds it (SDK dictionary_files) compresses with it both
// ways: the handshake names it, the frames on B's recording carry its id, and every payload
// arrives whole, and kite replay (given it) plays B's recording against a third kited. A device
// without it still talks to B, uncompressed by the dictionary; a group send is encoded for both
// kinds (25.3); files that are not dictionaries are refused with the reason, by kited, the SDK
// and the tools (25.2).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <regex>
#include <sstream>

#include "child_process.h"
#include "harness.h"
#include "kite_cli.h"
#include "sdk_probe.h"
#include "sse_client.h"
#include "test_pki.h"

namespace kite::it {
namespace {

using Json = nlohmann::json;

constexpr int kTrainingReadings = 2000;
constexpr std::uint16_t kDictionaryId = 4242;
// What 25.1 sends through kited B: readings not in the training set, up from each device and
// down to the one that holds the dictionary.
constexpr int kUplink = 20, kFirstUplink = 100'000;
constexpr int kDownlink = 5, kFirstDownlink = 200'000;

// A sensor reading as a fleet sends them: the same fields, values that vary.
std::string reading(int i) {
  std::mt19937 random(static_cast<unsigned>(i));
  const char* statuses[] = {"ok", "ok", "ok", "low_battery", "door_open"};
  char text[320];
  std::snprintf(text, sizeof text,
                R"({"device":"meter-%03u","ts":%lld,"temperature_c":%.2f,"humidity_pct":%.1f,)"
                R"("battery_mv":%u,"rssi_dbm":-%u,"status":"%s","fw":"2.%u.%u"})",
                static_cast<unsigned>(random() % 500), 1764633600000LL + i * 15000LL,
                15 + (random() % 1500) / 100.0, 30 + (random() % 600) / 10.0,
                3300 + static_cast<unsigned>(random() % 900),
                40 + static_cast<unsigned>(random() % 60), statuses[random() % 5],
                static_cast<unsigned>(random() % 4), static_cast<unsigned>(random() % 10));
  return text;
}

// kited may take uplink as fast as a test sends it.
std::vector<std::string> fast_uplink(std::vector<std::string> args) {
  for (const char* setting : {"session.uplink_rate_per_s=1000000", "session.uplink_burst=1000000"})
    args.insert(args.end(), {"--set", setting});
  return args;
}

ClientOptions device_options(const std::string& id, std::uint16_t port,
                             std::vector<std::string> dictionaries = {}) {
  ClientOptions options = sdk_options(id, port);
  options.max_queued = 4096;
  options.max_queued_bytes = 4u << 20;
  options.dictionary_files = std::move(dictionaries);
  return options;
}

// Publishes readings [first, first + n) and waits until kited confirmed all of them.
void publish_readings(Client& client, SdkProbe& probe, int first, int n) {
  const std::size_t before = probe.snapshot().completions.size();
  for (int i = first; i < first + n; ++i)
    REQUIRE(client.publish({.payload = reading(i), .topic = "telemetry"}, probe.completion()) ==
            Error::Ok);
  REQUIRE(probe.wait(
      [&](const SdkRecord& r) { return r.completions.size() == before + std::size_t(n); }, 20'000));
  for (const auto& [error, detail] : probe.snapshot().completions) {
    // INFO and CAPTURE are lambdas, and clang 14 cannot capture a structured binding.
    const auto& why = detail;
    INFO(why);
    REQUIRE(error == Error::Ok);
  }
}

std::vector<std::string> pcap_files(const std::filesystem::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".pcap") files.push_back(entry.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

// kite decode --json of `files`, one object per event.
std::vector<Json> decode(const std::vector<std::string>& files,
                         const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args = {"decode", "--json", "--max-payload", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), files.begin(), files.end());
  const KiteRun run = run_kite(args);
  INFO(run.err);
  REQUIRE(run.exit_code == 0);
  std::vector<Json> events;
  std::istringstream lines(run.out);
  for (std::string line; std::getline(lines, line);) events.push_back(Json::parse(line));
  return events;
}

// Records a device publishing kTrainingReadings on a kited, and returns the recording's files.
std::vector<std::string> record_training_traffic(const std::filesystem::path& directory) {
  Harness a(fast_uplink(
      {"--set", "record.enabled=true", "--set", "record.directory=" + directory.string()}));
  Client client(device_options("meter-train", a.kited.device_port()));
  SdkProbe probe(client);
  REQUIRE(client.start() == Error::Ok);
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  publish_readings(client, probe, 0, kTrainingReadings);
  client.stop();
  REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
  REQUIRE(a.kited.terminate() == 0);  // closes the recording's files
  return pcap_files(directory);
}

// `kite dict train --id ID --max-size 8192 -o FILE` on `recordings`, which must succeed.
KiteRun train_dictionary(const std::vector<std::string>& recordings, const std::string& file,
                         unsigned id) {
  std::vector<std::string> args = {"dict",       "train", "--id", std::to_string(id),
                                   "--max-size", "8192",  "-o",   file};
  args.insert(args.end(), recordings.begin(), recordings.end());
  const KiteRun trained = run_kite(args);
  INFO(trained.out << trained.err);
  REQUIRE(trained.exit_code == 0);
  return trained;
}

// The connected state's dictionary, once the client is connected.
std::uint16_t connected_dictionary(SdkProbe& probe) {
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  for (const auto& state : probe.snapshot().states)
    if (state.state == State::Connected) return state.dictionary;
  return 0;
}

// A device's client and the probe that records what it sees.
struct Device {
  explicit Device(ClientOptions options) : client(std::move(options)), probe(client) {}
  Client client;
  SdkProbe probe;
};

// Connection -> device id, from the Hellos among `events` (kite decode --json).
std::map<std::string, std::string> devices_by_connection(const std::vector<Json>& events) {
  std::map<std::string, std::string> device_of;
  for (const auto& e : events)
    if (e.value("type", "") == "Hello")
      device_of[e["connection"].get<std::string>()] = e["message"]["device_id"].get<std::string>();
  return device_of;
}

// Reads `count` uplink events and returns the payloads that `device` sent, in order.
std::vector<std::string> payloads_from(SseClient& uplink, int count, const std::string& device) {
  std::vector<std::string> payloads;
  for (int seen = 0; seen < count; ++seen) {
    auto event = uplink.next(kWait);
    REQUIRE(event);
    if (event->json()["device"] == device)
      payloads.push_back(event->json()["payload"].get<std::string>());
  }
  return payloads;
}

// What `kite dict train` said: every recorded payload read, the id asked for, and on payloads
// held out of training a ratio clearly better than zstd alone; then the file it wrote.
void check_training(const KiteRun& trained, const std::string& dictionary) {
  INFO(trained.out << trained.err);
  CHECK(trained.err.find("repeats left out") != std::string::npos);
  CHECK(trained.out.find("read " + std::to_string(kTrainingReadings) + " payloads") !=
        std::string::npos);
  CHECK(trained.out.find("dictionary 4242: ") != std::string::npos);
  std::smatch ratios;
  REQUIRE(std::regex_search(trained.out, ratios,
                            std::regex(R"(held out.*ratio ([0-9.]+) with the dictionary, )"
                                       R"(([0-9.]+) without)")));
  const double with = std::stod(ratios[1]), without = std::stod(ratios[2]);
  CHECK(with > 1.5 * without);
  CHECK(std::filesystem::file_size(dictionary) <= 8192);
  const KiteRun info = run_kite({"dict", "info", dictionary});
  CHECK(info.exit_code == 0);
  CHECK(info.out.find("zstd dictionary 4242, ") != std::string::npos);
}

// On B's wire: the holder's publishes, both ways, were compressed with dictionary 4242 and
// decode (given the dictionary) to the payloads sent; without it, kite decode says what it
// needs. The other device's frames never name a dictionary.
void check_b_recording(const std::vector<std::string>& files, const std::string& dictionary) {
  const auto events = decode(files, {"--dictionary", dictionary});
  auto device_of = devices_by_connection(events);
  std::size_t up = 0, down = 0;
  for (const auto& e : events) {
    if (e.value("type", "") != "Publish") continue;
    CAPTURE(e.dump());
    CHECK_FALSE(e.contains("error"));
    const std::string device = device_of[e["connection"].get<std::string>()];
    if (device == "meter-plain") {
      CHECK(e["header"]["dictionary"] == 0);
      continue;
    }
    REQUIRE(device == "meter-dict");
    CHECK(e["header"]["compressed"] == true);
    CHECK(e["header"]["dictionary"] == kDictionaryId);
    const std::string payload = e["message"]["payload"]["text"];
    if (e["direction"] == "up") CHECK(payload == reading(kFirstUplink + int(up++)));
    if (e["direction"] == "down") CHECK(payload == reading(kFirstDownlink + int(down++)));
  }
  CHECK(up == std::size_t(kUplink));
  CHECK(down == std::size_t(kDownlink));
  const auto undecoded = decode(files);
  CHECK(std::any_of(undecoded.begin(), undecoded.end(), [](const Json& e) {
    return e.value("error", "").find("needs dictionary 4242") == 0;
  }));
}

// kite replay of `files` against the kited whose device port is `port`, with `dictionary` unless
// it is empty.
KiteRun replay(std::uint16_t port, const std::vector<std::string>& files,
               const std::string& dictionary) {
  std::vector<std::string> args = {"replay",
                                   "--target",
                                   "127.0.0.1:" + std::to_string(port),
                                   "--master-key",
                                   master_key_hex(),
                                   "--top-speed",
                                   "--linger-ms",
                                   "100",
                                   "--json"};
  if (!dictionary.empty()) args.insert(args.end(), {"--dictionary", dictionary});
  args.insert(args.end(), files.begin(), files.end());
  return run_kite(args);
}

// kite replay reads B's recording with the dictionary, and its virtual devices hold it too: a
// fresh kited C that offers it gets every uplink reading whole, the holder's as B got them.
void check_replay(const std::vector<std::string>& files, const std::string& dictionary,
                  const std::vector<std::string>& from_holder) {
  Harness c(fast_uplink({"--set", "compression.dictionary_file=" + dictionary}));
  SseClient replayed(c.kited.admin_port(), kAdminToken, "/v1/events?type=uplink");
  REQUIRE(replayed.status() == 200);
  const KiteRun played = replay(c.kited.device_port(), files, dictionary);
  INFO(played.out << played.err);
  REQUIRE(played.exit_code == 0);
  const Json report = Json::parse(played.out);
  CHECK(report["total"]["uplink_sent"] == 2 * kUplink);
  CHECK(report["total"]["uplink_captured"] == 2 * kUplink);
  CHECK(payloads_from(replayed, 2 * kUplink, "meter-dict") == from_holder);
  // Without the dictionary, replay says which frames it cannot read, and why.
  const KiteRun blind = replay(c.kited.device_port(), files, "");
  CHECK(blind.err.find("needs dictionary 4242") != std::string::npos);
}

TEST_CASE("25.1 a dictionary trained on a recording is offered by kited and used both ways") {
  test::TempDir dir;
  const auto recordings = record_training_traffic(dir.path() / "a");
  REQUIRE_FALSE(recordings.empty());
  const std::string dictionary = (dir.path() / "telemetry.zdict").string();
  check_training(train_dictionary(recordings, dictionary, kDictionaryId), dictionary);

  // kited B offers it; a device that holds it compresses with it, one that does not does not.
  const auto b_recordings = dir.path() / "b";
  Harness b(
      fast_uplink({"--set", "compression.dictionary_file=" + dictionary, "--set",
                   "record.enabled=true", "--set", "record.directory=" + b_recordings.string()}));
  SseClient uplink(b.kited.admin_port(), kAdminToken, "/v1/events?type=uplink");
  REQUIRE(uplink.status() == 200);
  Device holder(device_options("meter-dict", b.kited.device_port(), {dictionary}));
  REQUIRE(holder.client.start() == Error::Ok);
  CHECK(connected_dictionary(holder.probe) == kDictionaryId);
  Device plain(device_options("meter-plain", b.kited.device_port()));
  REQUIRE(plain.client.start() == Error::Ok);
  CHECK(connected_dictionary(plain.probe) == 0);

  // Uplink: B reads every reading whole, from both devices.
  publish_readings(holder.client, holder.probe, kFirstUplink, kUplink);
  publish_readings(plain.client, plain.probe, kFirstUplink, kUplink);
  const auto from_holder = payloads_from(uplink, 2 * kUplink, "meter-dict");
  REQUIRE(from_holder.size() == std::size_t(kUplink));
  for (int i = 0; i < kUplink; ++i) CHECK(from_holder[std::size_t(i)] == reading(kFirstUplink + i));

  // Downlink: readings sent through the admin API arrive whole.
  for (int i = 0; i < kDownlink; ++i) b.send_ok("meter-dict", reading(kFirstDownlink + i));
  REQUIRE(
      holder.probe.wait([](const SdkRecord& r) { return r.messages.size() == kDownlink; }, kWait));
  for (int i = 0; i < kDownlink; ++i)
    CHECK(holder.probe.snapshot().messages[std::size_t(i)] == reading(kFirstDownlink + i));

  holder.client.stop();
  plain.client.stop();
  REQUIRE(holder.probe.wait_state(State::Stopped, 1, kWait));
  REQUIRE(plain.probe.wait_state(State::Stopped, 1, kWait));
  REQUIRE(b.kited.terminate() == 0);

  const auto files = pcap_files(b_recordings);
  check_b_recording(files, dictionary);
  check_replay(files, dictionary, from_holder);
}

// A device of 25.3's group: the dictionaries it holds, and the one its handshake should agree on.
struct Member {
  std::string id;
  std::vector<std::string> dictionaries;
  std::uint16_t expected;
};

// Connects each member to `b` and has it join the group "fleet".
std::vector<std::unique_ptr<Device>> join_fleet(Harness& b, const std::vector<Member>& members) {
  std::vector<std::unique_ptr<Device>> devices;
  for (const auto& member : members) {
    devices.push_back(std::make_unique<Device>(
        device_options(member.id, b.kited.device_port(), member.dictionaries)));
    Device& device = *devices.back();
    REQUIRE(device.client.start() == Error::Ok);
    CAPTURE(member.id);
    CHECK(connected_dictionary(device.probe) == member.expected);
    REQUIRE(device.client.join("fleet", device.probe.completion()) == Error::Ok);
    REQUIRE(device.probe.wait([](const SdkRecord& r) { return r.completions.size() == 1; }, kWait));
    REQUIRE(device.probe.snapshot().completions[0].first == Error::Ok);
  }
  return devices;
}

// On the wire of the group send: the holders got it compressed with the dictionary, the others
// as it is.
void check_group_send_recording(const std::vector<std::string>& files,
                                const std::string& dictionary, const std::string& payload) {
  const auto events = decode(files, {"--dictionary", dictionary});
  auto device_of = devices_by_connection(events);
  std::map<std::string, Json> header_to;
  for (const auto& e : events)
    if (e.value("type", "") == "Publish" && e["direction"] == "down") {
      CHECK(e["message"]["payload"]["text"] == payload);
      header_to[device_of[e["connection"].get<std::string>()]] = e["header"];
    }
  REQUIRE(header_to.size() == 4);
  for (const char* holder : {"meter-holder", "meter-listen"}) {
    CAPTURE(holder);
    CHECK(header_to[holder]["dictionary"] == kDictionaryId);
    CHECK(header_to[holder]["compressed"] == true);
  }
  for (const char* plain : {"meter-other", "meter-none"}) {
    CAPTURE(plain);
    CHECK(header_to[plain]["dictionary"] == 0);
    CHECK(header_to[plain]["compressed"] == false);  // under 256 bytes: not worth it alone
  }
}

TEST_CASE("25.3 a group send: compressed with the dictionary for holders, without for others") {
  test::TempDir dir;
  const auto recordings = record_training_traffic(dir.path() / "a");
  const std::string offered = (dir.path() / "v2.zdict").string();
  const std::string other = (dir.path() / "other.zdict").string();
  train_dictionary(recordings, offered, kDictionaryId);
  train_dictionary(recordings, other, 777);

  const auto b_recordings = dir.path() / "b";
  Harness b({"--set", "compression.dictionary_file=" + offered, "--set", "record.enabled=true",
             "--set", "record.directory=" + b_recordings.string()});
  const auto devices = join_fleet(b, {{"meter-holder", {other, offered}, kDictionaryId},
                                      {"meter-other", {other}, 0},
                                      {"meter-none", {}, 0}});
  // kite listen holds the dictionary too, and says so.
  KiteChild listen({"listen", "--port", std::to_string(b.kited.device_port()), "--id",
                    "meter-listen", "--master-key", master_key_hex(), "--dictionary", offered,
                    "--join", "fleet", "-C", "1", "-W", "10"});
  REQUIRE(listen.wait_output("compressing with dictionary 4242", kWait, /*in_stderr=*/true));
  const Millis joined_by = now_ms() + kWait;
  while (b.http.request("GET", "/v1/groups/fleet").body.find("meter-listen") == std::string::npos &&
         now_ms() < joined_by)
    usleep(20'000);  // polling pace

  // One QoS 0 message to the group: encoded once per dictionary and shared
  // (core/delivery/dispatcher.cc).
  const std::string payload = reading(300'000);
  const Json send = {{"group", "fleet"}, {"payload", payload}, {"qos", 0}};
  auto sent = b.http.request("POST", "/v1/messages", send.dump());
  INFO(sent.body);
  REQUIRE(sent.status == 200);
  CHECK(sent.json()["summary"]["sent"] == 4);
  for (const auto& device : devices) {
    REQUIRE(device->probe.wait([](const SdkRecord& r) { return r.messages.size() == 1; }, kWait));
    CHECK(device->probe.snapshot().messages[0] == payload);
  }
  const KiteRun heard = listen.wait(kWait);
  CHECK(heard.exit_code == 0);
  CHECK(heard.out == payload + "\n");
  for (const auto& device : devices) device->client.stop();
  for (const auto& device : devices) REQUIRE(device->probe.wait_state(State::Stopped, 1, kWait));
  REQUIRE(b.kited.terminate() == 0);

  check_group_send_recording(pcap_files(b_recordings), offered, payload);
}

TEST_CASE("25.2 files that are not dictionaries are refused, saying why") {
  test::TempDir dir;
  const std::string not_one = (dir.path() / "notes.zdict").string();
  std::ofstream(not_one) << "a text file, not a dictionary\n";

  SUBCASE("kite dict info and kited refuse it") {
    KiteRun check = run_kite({"dict", "info", not_one});
    CHECK(check.exit_code == 1);
    CHECK(check.err.find("not a zstd dictionary with an id (make one with `kite dict train`)") !=
          std::string::npos);
    ChildProcess check_config("kited --check-config", KITED_PATH,
                              {"--mode", "development", "--set",
                               "compression.dictionary_file=" + not_one, "--check-config"});
    const auto code = check_config.wait_exit(kWait);
    REQUIRE(code);
    CHECK(*code == 2);
    CHECK(check_config.err().find("kited: compression.dictionary_file: " + not_one +
                                  ": not a zstd dictionary with an id") != std::string::npos);
    bool refused = false;
    try {
      KitedProcess kited({"--set", "compression.dictionary_file=" + not_one});
    } catch (const std::exception& e) {
      refused = std::string(e.what()).find("compression.dictionary_file") != std::string::npos;
      INFO(e.what());
    }
    CHECK(refused);
  }
  SUBCASE("the SDK will not start with more than 16 dictionaries") {
    Client client(device_options("meter-1", 7000, std::vector<std::string>(17, not_one)));
    CHECK(client.start() == Error::Invalid);
    CHECK(client.start_error() ==
          "dictionary_files: at most 16 dictionaries (a hello lists no more), got 17");
  }
  SUBCASE("the SDK will not start") {
    Client client(device_options("meter-1", 7000, {not_one}));
    CHECK(client.start() == Error::Invalid);
    CHECK(client.start_error() ==
          "dictionary_files[0]: " + not_one +
              ": not a zstd dictionary with an id (make one with `kite dict train`)");
  }
  SUBCASE("kite dict train says when a capture has too little to learn from") {
    Harness a({"--set", "record.enabled=true", "--set",
               "record.directory=" + (dir.path() / "rec").string()});
    Client client(device_options("meter-1", a.kited.device_port()));
    SdkProbe probe(client);
    REQUIRE(client.start() == Error::Ok);
    REQUIRE(probe.wait_state(State::Connected, 1, kWait));
    publish_readings(client, probe, 0, 3);
    client.stop();
    REQUIRE(probe.wait_state(State::Stopped, 1, kWait));
    REQUIRE(a.kited.terminate() == 0);
    std::vector<std::string> args = {"dict", "train", "-o", (dir.path() / "d.zdict").string()};
    for (const auto& file : pcap_files(dir.path() / "rec")) args.push_back(file);
    const KiteRun run = run_kite(args);
    CHECK(run.exit_code == 1);
    CHECK(run.err.find("only 3 payloads of ") != std::string::npos);
    CHECK(run.err.find("record more traffic") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() / "d.zdict"));
  }
}

}  // namespace
}  // namespace kite::it
