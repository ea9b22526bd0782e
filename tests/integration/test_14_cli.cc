// The kite command-line tool against a real kited: send (to a device, a list, a group, from a
// file and from stdin), keys derive / keys token (credentials kited accepts), devices / device
// (paging with cursors that need percent-encoding), the exit codes, and a --help for every
// subcommand that names each of its options. `kite listen` is in test_14_cli_listen.cc.
#include "cli_helpers.h"
#include "kite/version.h"

namespace kite::it {

TEST_CASE("14.1 cli: kite send reaches a connected device, as text, as JSON and from a file") {
  Harness h;
  TestDevice device(h.device_options("cli-lamp-1"));
  device.connect_and_open();

  auto run = run_kite(api_args(h, {"send", "cli-lamp-1", "hello from kite", "--topic", "greet"}));
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 0);
  CHECK(run.out.find("cli-lamp-1") != std::string::npos);
  CHECK(run.out.find("queued") != std::string::npos);
  CHECK(run.out.find("seq=1") != std::string::npos);
  auto message = device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "hello from kite");
  CHECK(message->topic == "greet");

  // --json: the API's answer as one JSON line, naming the device.
  auto json = run_kite(api_args(h, {"send", "cli-lamp-1", "again", "--json", "--qos", "0"}));
  CHECK(json.exit_code == 0);
  auto answer = nlohmann::json::parse(json.out);
  CHECK(answer["device"] == "cli-lamp-1");
  CHECK(answer["status"] == "sent");
  auto again = device.next_message(kWait);
  REQUIRE(again);
  CHECK(again->payload == "again");

  // A binary file arrives byte for byte (payload_base64).
  const std::string bytes("\xff\x00\x01kite\xfe", 8);
  TempFile file("kite-cli-payload", bytes);
  auto binary = run_kite(api_args(h, {"send", "cli-lamp-1", "--file", file.path.string()}));
  CHECK(binary.exit_code == 0);
  auto received = device.next_message(kWait);
  REQUIRE(received);
  CHECK(received->payload == bytes);
}

TEST_CASE("14.2 cli: kite send to a group and a list answers per device; a drop is exit 1") {
  Harness h;
  TestDevice online(h.device_options("cli-fan-1"));
  online.connect_and_open();
  for (const char* device : {"cli-fan-1", "cli-fan-2"})
    REQUIRE(h.http.request("PUT", std::string("/v1/groups/hall/members/") + device).status == 201);

  auto group = run_kite(api_args(h, {"send", "--group", "hall", "on", "--repeat", "3"}));
  INFO("stdout: " << group.out << "\nstderr: " << group.err);
  CHECK(group.exit_code == 0);
  CHECK(lines_of(group.out).size() == 6);  // 3 messages x 2 members
  auto messages = online.take_messages(3, kWait);
  REQUIRE(messages.size() == 3);
  for (const auto& m : messages) CHECK(m.payload == "on");
  CHECK(h.http.device("cli-fan-2")["queued"] == 3);

  // QoS 0 to a list: the offline device drops it, so not every target took it: exit 1.
  auto list =
      run_kite(api_args(h, {"send", "--devices", "cli-fan-1,cli-fan-9", "blink", "--qos", "0"}));
  CHECK(list.exit_code == 1);
  CHECK(list.out.find("cli-fan-9") != std::string::npos);
  CHECK(list.out.find("dropped") != std::string::npos);
  auto blink = online.next_message(kWait);
  REQUIRE(blink);
  CHECK(blink->payload == "blink");

  // An unknown group is a refusal (404), explained on stderr.
  auto unknown = run_kite(api_args(h, {"send", "--group", "nobody-here", "x"}));
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.err.find("Unknown group") != std::string::npos);
}

TEST_CASE("14.3 cli: kite send without a payload sends each line of stdin as one message") {
  Harness h;
  TestDevice device(h.device_options("cli-meter-1"));
  device.connect_and_open();

  auto run = run_kite(api_args(h, {"send", "cli-meter-1"}), "first\r\nsecond\n\nthird");
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  CHECK(run.exit_code == 0);
  CHECK(lines_of(run.out).size() == 3);
  auto messages = device.take_messages(3, kWait);
  REQUIRE(messages.size() == 3);
  CHECK(messages[0].payload == "first");
  CHECK(messages[1].payload == "second");
  CHECK(messages[2].payload == "third");

  // "-" says stdin too; the token may come from KITE_ADMIN_TOKEN.
  auto dash = run_kite({"send", "cli-meter-1", "-", "--api",
                        "http://127.0.0.1:" + std::to_string(h.kited.admin_port())},
                       "fourth\n", {std::string("KITE_ADMIN_TOKEN=") + kAdminToken});
  CHECK(dash.exit_code == 0);
  auto fourth = device.next_message(kWait);
  REQUIRE(fourth);
  CHECK(fourth->payload == "fourth");
}

TEST_CASE("14.4 cli: kite keys derive prints the key a device authenticates with") {
  Harness h;
  auto run =
      run_kite({"keys", "derive", "--master-key", master_key_hex(), "cli-cam-1", "cli-cam-2"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  auto lines = lines_of(run.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].substr(65) == "cli-cam-2");
  auto bytes = protocol::hex_decode(lines[0].substr(0, 64));
  REQUIRE(bytes);
  REQUIRE(bytes->size() == protocol::kKeySize);
  protocol::DeviceKey key{};
  std::copy(bytes->begin(), bytes->end(), key.begin());
  CHECK(key == protocol::derive_device_key(master_key(), "cli-cam-1"));

  auto options = h.device_options("cli-cam-1");
  options.key = key;
  TestDevice device(options);
  device.connect_and_open();
  CHECK(device.is_open());

  // The same key from a file of hex text (as kited's auth.master_key_file).
  TempFile file("kite-cli-master-key", master_key_hex() + "\n");
  auto from_file =
      run_kite({"keys", "derive", "--master-key-file", file.path.string(), "cli-cam-1"});
  CHECK(from_file.exit_code == 0);
  CHECK(from_file.out == lines[0] + "\n");

  // KITE_AUTH_MASTER_KEY stands in for --master-key only: exported for kited, it must not make
  // an explicit --master-key-file a usage error, nor win over it.
  auto file_wins =
      run_kite({"keys", "derive", "--master-key-file", file.path.string(), "cli-cam-1"}, "",
               {"KITE_AUTH_MASTER_KEY=" + std::string(64, '7')});
  CHECK(file_wins.exit_code == 0);
  CHECK(file_wins.out == lines[0] + "\n");
  auto from_env =
      run_kite({"keys", "derive", "cli-cam-1"}, "", {"KITE_AUTH_MASTER_KEY=" + master_key_hex()});
  CHECK(from_env.exit_code == 0);
  CHECK(from_env.out == lines[0] + "\n");
}

TEST_CASE("14.5 cli: kite keys token prints a token kited accepts, with its groups") {
  const std::string token_key(64, '3');
  Harness h({"--set", "auth.token_key=" + token_key});
  auto run = run_kite({"keys", "token", "--token-key", token_key, "--device", "cli-player-1",
                       "--ttl", "1h", "--group", "room-9"});
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  REQUIRE(lines_of(run.out).size() == 1);

  auto options = h.device_options("cli-player-1");
  options.method = protocol::AuthMethod::Token;
  options.token = lines_of(run.out)[0];
  TestDevice player(options);
  player.connect_and_open();
  CHECK(player.is_open());
  auto group = h.http.request("GET", "/v1/groups/room-9");
  CHECK(group.status == 200);

  // The token names its device: another device presenting it is refused.
  options.id = "cli-player-2";
  TestDevice impostor(options);
  impostor.connect();
  auto closed = impostor.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::AuthFailed);
}

TEST_CASE("14.6 cli: kite devices lists the online devices; kite device shows one") {
  Harness h;
  TestDevice a(h.device_options("cli-dev-a")), b(h.device_options("cli-dev-b"));
  a.connect_and_open();
  b.connect_and_open();

  auto run = run_kite(api_args(h, {"devices", "--json", "--limit", "5"}));
  INFO("stdout: " << run.out << "\nstderr: " << run.err);
  REQUIRE(run.exit_code == 0);
  auto lines = lines_of(run.out);
  REQUIRE(lines.size() == 2);
  CHECK(nlohmann::json::parse(lines[0])["device"] == "cli-dev-a");
  CHECK(nlohmann::json::parse(lines[1])["device"] == "cli-dev-b");

  // --limit 1 stops after one page of one; the table names the device and counts all online.
  auto table = run_kite(api_args(h, {"devices", "--limit", "1"}));
  CHECK(table.exit_code == 0);
  CHECK(table.out.find("cli-dev-a") != std::string::npos);
  CHECK(table.out.find(" tcp\n") != std::string::npos);  // came in through the plain listener
  CHECK(table.out.find("cli-dev-b") == std::string::npos);
  CHECK(table.out.find("1 shown, 2 online") != std::string::npos);

  auto one = run_kite(api_args(h, {"device", "cli-dev-b", "--json"}));
  CHECK(one.exit_code == 0);
  CHECK(nlohmann::json::parse(one.out)["online"] == true);
  auto text = run_kite(api_args(h, {"device", "cli-nobody"}));
  CHECK(text.exit_code == 0);
  CHECK(text.out.find("false") != std::string::npos);
}

TEST_CASE("14.7 cli: exit codes: 3 for a refused token or no server, 2 for usage errors") {
  Harness h;
  const std::string api = "http://127.0.0.1:" + std::to_string(h.kited.admin_port());

  auto bad_token = run_kite({"send", "cli-x", "hi", "--api", api, "--token", "wrong-token"});
  CHECK(bad_token.exit_code == 3);
  CHECK(bad_token.err.find("token") != std::string::npos);
  CHECK(run_kite({"devices", "--api", api, "--token", "wrong-token"}).exit_code == 3);

  const std::string nobody = "http://127.0.0.1:" + std::to_string(free_port());
  auto unreachable = run_kite({"send", "cli-x", "hi", "--api", nobody, "--token", kAdminToken});
  CHECK(unreachable.exit_code == 3);
  CHECK(unreachable.err.find("cannot reach") != std::string::npos);

  CHECK(run_kite({"send", "cli-x", "hi", "--api", api}).exit_code == 2);  // no token
  CHECK(run_kite(api_args(h, {"send"})).exit_code == 2);                  // no target
  CHECK(run_kite(api_args(h, {"send", "--group", "g", "--all", "x"})).exit_code == 2);
  CHECK(run_kite(api_args(h, {"send", "d", "x", "--qos", "2"})).exit_code == 2);
  CHECK(run_kite(api_args(h, {"send", "d", "x", "--ttl", "soon"})).exit_code == 2);
  CHECK(run_kite(api_args(h, {"send", "d", "--file", "/nonexistent/kite"})).exit_code == 2);
  CHECK(run_kite({"keys", "derive", "--master-key", "abc", "d"}).exit_code == 2);
  CHECK(run_kite({"keys", "derive", "d"}).exit_code == 2);  // no key
  CHECK(run_kite({"keys", "token", "--token-key", std::string(64, '3')}).exit_code == 2);
  CHECK(run_kite({"no-such-command"}).exit_code == 2);
  CHECK(run_kite({}).exit_code == 2);
}

namespace {

// The words after "Subcommands:" in a --help, one per line up to the next blank line.
std::vector<std::string> subcommands_in(const std::string& help) {
  std::vector<std::string> names;
  bool in_list = false;
  for (const auto& line : lines_of(help)) {
    if (line == "Subcommands:") {
      in_list = true;
    } else if (in_list && line.empty()) {
      break;
    } else if (in_list) {
      std::istringstream words(line);
      std::string name;
      if (words >> name) names.push_back(name);
    }
  }
  return names;
}

using Words = std::vector<std::string>;

Words joined(Words a, const Words& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Every command, by the words that name it, and everything its --help must mention: a table.
std::map<Words, Words> help_expectations() {
  const Words api = {"--api", "--token", "--timeout"};
  const Words load = {"--host",          "--port",    "--master-key", "--devices", "--concurrency",
                      "--source-prefix", "--id-base", "--server-pid", "--json"};
  return {
      {{},
       {"send", "devices", "device", "events", "listen", "publish", "keys", "decode", "replay",
        "dict", "bench", "Exit codes"}},
      {{"send"},
       joined({"--devices", "--group", "--all", "--file", "--qos", "--ttl", "--topic", "--key",
               "--content-type", "--repeat", "--interval", "--json", "Exit codes"},
              api)},
      {{"devices"}, joined({"--online", "--limit", "--json"}, api)},
      {{"device"}, joined({"ID", "--json"}, api)},
      {{"listen"}, {"--host",      "--port",         "--id",
                    "--key",       "--master-key",   "--master-key-file",
                    "--token",     "--session-file", "--format",
                    "text",        "json",           "hex",
                    "-C,--count",  "-W,--timeout",   "--join",
                    "--keepalive", "--on-command",   "--dictionary",
                    "Examples",    "Exit codes"}},
      {{"events"},
       {"--type", "--device", "--device-group", "--after", "--from-start", "--poll", "--wait",
        "--once", "--limit", "--consumer-group", "--member", "--ack", "-C,--count", "-W,--timeout",
        "--api", "--token", "--request-timeout", "Examples", "Exit codes"}},
      {{"publish"},
       {"PAYLOAD",
        "--host",
        "--port",
        "--id",
        "--key",
        "--master-key",
        "--master-key-file",
        "--token",
        "--session-file",
        "--qos",
        "--topic",
        "--content-type",
        "--hex",
        "-W,--timeout",
        "--quiet",
        "--tls",
        "--ca",
        "--cert",
        "--cert-key",
        "Examples",
        "Exit codes"}},
      {{"keys"}, {"derive", "token"}},
      {{"keys", "derive"}, {"--master-key", "--master-key-file", "DEVICE"}},
      {{"keys", "token"}, {"--token-key", "--token-key-file", "--device", "--ttl", "--group"}},
      {{"decode"},
       {"FILE", "--port", "--json", "--max-payload", "--dictionary", "Examples", "Exit codes"}},
      {{"replay"},
       {"FILE", "--port", "--target", "--master-key", "--master-key-file", "--key-file", "--speed",
        "--top-speed", "--loop", "--linger-ms", "--json", "--tls", "--ca", "--dictionary",
        "Examples", "Exit codes"}},
      {{"dict"}, {"train", "info"}},
      {{"dict", "train"},
       {"FILE", "--output", "--id", "--max-size", "--level", "--port", "--direction", "--topic",
        "--dictionary", "Examples", "Exit codes"}},
      {{"dict", "info"}, {"FILE", "Exit codes"}},
      {{"bench"}, {"p2p", "uplink", "conn", "idle", "fanout"}},
      {{"bench", "p2p"},
       joined(load, {"--service", "--service-key", "--seconds", "--warmup", "--window", "--rate",
                     "--payload", "--processes"})},
      {{"bench", "uplink"},
       joined(load, {"--seconds", "--warmup", "--rate", "--payload", "--processes"})},
      {{"bench", "conn"}, joined(load, {"--processes"})},
      {{"bench", "idle"}, joined(load, {"--seconds", "--processes"})},
      {{"bench", "storm"},
       {"--host",
        "--port",
        "--master-key",
        "--devices",
        "--id-base",
        "--seconds",
        "--settle",
        "--connect-rate",
        "--down-rate",
        "--up-rate",
        "--backoff-initial-ms",
        "--backoff-max-ms",
        "--lost-spread-ms",
        "--api",
        "--admin-token",
        "--json",
        "--tls",
        "--ca",
        "--server-name",
        "--tls-min",
        "--ws",
        "--processes"}},
      {{"bench", "fanout"},
       joined(load,
              {"--api", "--admin-token", "--group", "--qos", "--burst", "--window", "--seconds",
               "--warmup", "--messages", "--payload", "--no-join", "--per-device-answer"})},
  };
}

}  // namespace

TEST_CASE("14.8 cli: every subcommand's --help exits 0 and names each of its options") {
  const std::map<Words, Words> commands = help_expectations();
  // Walked from `kite --help` down, so a subcommand added without a line above fails here.
  std::vector<Words> pending = {{}};
  std::size_t visited = 0;
  while (!pending.empty()) {
    const Words words = pending.back();
    pending.pop_back();
    ++visited;
    Words args = words;
    args.push_back("--help");
    auto run = run_kite(args);
    std::string name = "kite";
    for (const auto& w : words) name += " " + w;
    INFO(name << " --help: " << run.out << run.err);
    CHECK(run.exit_code == 0);
    const auto expected = commands.find(words);
    REQUIRE_MESSAGE(expected != commands.end(), name << " is not in this test's list");
    for (const auto& mention : expected->second) {
      INFO("expected: " << mention);
      CHECK(run.out.find(mention) != std::string::npos);
    }
    for (const auto& sub : subcommands_in(run.out)) pending.push_back(joined(words, {sub}));
  }
  CHECK(visited == commands.size());
}

TEST_CASE("14.15 cli: kite --version prints the project's version") {
  const KiteRun run = run_kite({"--version"});
  CHECK(run.exit_code == 0);
  CHECK(run.out == std::string("kite ") + KITE_VERSION + "\n");
}

TEST_CASE("14.14 cli: kite devices pages on with a cursor holding '-', '.', ':' and '_'") {
  // 999 devices, then four whose ids hold the punctuation a device id may have (docs/protocol.md
  // section 8) and sort after them ('-' < '.' < ':' < '_'): the first page (1,000) ends at the
  // first of the four, so that one becomes the cursor. Each round takes that device away and
  // lists again, so each of the four is the cursor once, and must come back exactly as it went.
  // (Ids with ' ', '%', '&' or '+', which a query string would mangle, are refused at the hello.)
  Harness h({"--set", "auth.max_unauthenticated_per_ip=100000"});
  std::vector<std::string> ids;
  for (int i = 0; i < 999; ++i) {
    char id[32];
    std::snprintf(id, sizeof id, "cli-page-a-%03d", i);
    ids.push_back(id);
  }
  const std::vector<std::string> odd = {"cli-page-s-x", "cli-page-s.x", "cli-page-s:x",
                                        "cli-page-s_x"};
  ids.insert(ids.end(), odd.begin(), odd.end());
  std::vector<std::unique_ptr<TestDevice>> devices;
  std::vector<TestDevice*> all;
  for (const auto& id : ids) {
    devices.push_back(std::make_unique<TestDevice>(h.device_options(id)));
    all.push_back(devices.back().get());
    devices.back()->connect();
  }
  REQUIRE(pump_devices(all, 20'000, [&] {
    return std::all_of(all.begin(), all.end(), [](TestDevice* d) { return d->was_opened(); });
  }));

  // GET /v1/devices/{id} for an id that needs encoding in a path.
  const auto device_of = [&](const std::string& id) {
    std::string path = "/v1/devices/";
    for (unsigned char c : id) {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", c);
      path += std::isalnum(c) || c == '-' ? std::string(1, static_cast<char>(c)) : escaped;
    }
    return h.http.request("GET", path).json();
  };

  for (std::size_t round = 0; round < odd.size(); ++round) {
    INFO("the cursor after the first page: \"" << odd[round] << "\"");
    auto run = run_kite(api_args(h, {"devices", "--json"}));
    INFO("stderr: " << run.err);
    CHECK(run.exit_code == 0);  // not REQUIRE: every round says whether its cursor went wrong
    const auto lines = lines_of(run.out);
    CHECK(lines.size() == ids.size() - round);
    std::map<std::string, int> seen;
    for (const auto& line : lines) ++seen[nlohmann::json::parse(line)["device"]];
    // Each online device once: the 999, and the odd ones from this round's on.
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < ids.size(); ++i)
      if (seen[ids[i]] != (i < 999 || i >= 999 + round ? 1 : 0)) ++wrong;
    CHECK(wrong == 0);
    for (std::size_t i = round; i < odd.size(); ++i) CHECK(seen[odd[i]] == 1);

    // The next round's cursor: this one goes offline.
    all[999 + round]->close();
    auto gone = device_of(odd[round]);
    const Millis deadline = now_ms() + kWait;
    while (gone["online"] == true && now_ms() < deadline) {
      pump_devices(all, 5, [] { return false; });  // a 5 ms polling pace
      gone = device_of(odd[round]);
    }
    REQUIRE(gone["online"] == false);
  }
}

}  // namespace kite::it
