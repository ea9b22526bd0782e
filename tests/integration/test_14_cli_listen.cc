// The kite command-line tool's `listen` against a real kited: formats, -C, -W, --join,
// --on-command, signals and exit codes (the rest of the CLI: test_14_cli.cc).
#include "cli_helpers.h"

namespace kite::it {

TEST_CASE("14.9 cli: kite listen -C 3 --format json prints what kite send sends, then exits 0") {
  Harness h;
  KiteChild listen(listen_args(h, "cli-ear-1",
                               {"--master-key", master_key_hex(), "-C", "3", "--format", "json"}));
  require_online(h, "cli-ear-1", listen);

  // Text with a topic and a content type, bytes that are not UTF-8, and a plain message.
  const std::string bytes("\xff\x00kite", 6);
  TempFile file("kite-cli-listen-bytes", bytes);
  const std::vector<std::vector<std::string>> sends = {
      {"send", "cli-ear-1", "21.5", "--topic", "set_target", "--content-type", "text/plain"},
      {"send", "cli-ear-1", "--file", file.path.string()},
      {"send", "cli-ear-1", "last one"}};
  std::vector<nlohmann::json> answers;
  for (auto args : sends) {
    args.push_back("--json");
    auto run = run_kite(api_args(h, args));
    INFO("kite send: " << run.out << run.err);
    REQUIRE(run.exit_code == 0);
    answers.push_back(nlohmann::json::parse(run.out));
  }

  auto done = listen.wait(kWait);
  INFO("stdout: " << done.out << "\nstderr: " << done.err);
  CHECK(done.exit_code == 0);
  auto lines = lines_of(done.out);
  REQUIRE(lines.size() == 3);
  std::vector<nlohmann::json> got;
  for (const auto& line : lines) got.push_back(nlohmann::json::parse(line));
  for (std::size_t i = 0; i < got.size(); ++i) {
    CHECK(got[i]["seq"] == answers[i]["seq"]);
    CHECK(got[i]["message_id"] == answers[i]["id"]);
  }
  CHECK(got[0]["payload"] == "21.5");
  CHECK(got[0]["topic"] == "set_target");
  CHECK(got[0]["content_type"] == "text/plain");
  CHECK_FALSE(got[1].contains("payload"));
  CHECK(got[1]["payload_base64"] ==
        protocol::base64url_encode(
            {reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()}));
  CHECK(got[1]["topic"] == "");
  CHECK(got[2]["payload"] == "last one");
  CHECK(got[2]["seq"] == 3);
  CHECK(done.err.find("connected") != std::string::npos);

  // Printed is acknowledged, and the listener said goodbye.
  auto gone = h.wait_device("cli-ear-1", [](const auto& b) { return b["online"] == false; });
  CHECK(gone["online"] == false);
  CHECK(gone["acked_through"] == 3);
  CHECK(gone["queued"] == 0);
}

TEST_CASE("14.10 cli: kite listen --format text and hex, with a device key and with a token") {
  const std::string token_key(64, '3');
  Harness h({"--set", "auth.token_key=" + token_key});

  // text (the default), authenticated with the key kite keys derive prints.
  KiteChild text(listen_args(h, "cli-ear-text", {"--key", key_hex("cli-ear-text"), "-C", "2"}));
  require_online(h, "cli-ear-text", text);
  h.send_ok("cli-ear-text", "hello world");
  h.send_ok("cli-ear-text", "second line");
  auto t = text.wait(kWait);
  INFO("text stdout: " << t.out << "\nstderr: " << t.err);
  CHECK(t.exit_code == 0);
  CHECK(t.out == "hello world\nsecond line\n");

  // hex, with a token from kite keys token.
  auto minted = run_kite({"keys", "token", "--token-key", token_key, "--device", "cli-ear-hex"});
  REQUIRE(minted.exit_code == 0);
  KiteChild hex(listen_args(h, "cli-ear-hex",
                            {"--token", lines_of(minted.out).at(0), "--format", "hex", "-C", "1"}));
  require_online(h, "cli-ear-hex", hex);
  TempFile file("kite-cli-listen-hex", std::string("\x00\xffkite\n", 7));
  auto sent = run_kite(api_args(h, {"send", "cli-ear-hex", "--file", file.path.string()}));
  CHECK(sent.exit_code == 0);
  auto x = hex.wait(kWait);
  INFO("hex stdout: " << x.out << "\nstderr: " << x.err);
  CHECK(x.exit_code == 0);
  CHECK(x.out == "00ff6b6974650a\n");
}

TEST_CASE("14.11 cli: kite listen exit codes: 1 when -W runs out, 3 for no kited or bad keys") {
  Harness h;
  const std::string master = master_key_hex();

  // Connected, but nothing arrives within -W: 1, after the time and not before.
  const Millis started = now_ms();
  auto quiet =
      run_kite(listen_args(h, "cli-ear-quiet", {"--master-key", master, "-W", "2", "-C", "1"}));
  INFO("stdout: " << quiet.out << "\nstderr: " << quiet.err);
  CHECK(quiet.exit_code == 1);
  CHECK(now_ms() - started >= 2000);
  CHECK(quiet.out.empty());
  CHECK(quiet.err.find("connected") != std::string::npos);
  CHECK(quiet.err.find("gave up after 2 s (-W): 0 of 1 message(s) received") != std::string::npos);

  // kited never reached within -W: 3.
  auto nobody = run_kite({"listen", "--port", std::to_string(free_port()), "--id", "cli-ear-x",
                          "--master-key", master, "-W", "500ms"});
  CHECK(nobody.exit_code == 3);
  CHECK(nobody.err.find("could not connect") != std::string::npos);

  // Another device's key: refused for good (no retry), 3, well before -W.
  auto wrong =
      run_kite(listen_args(h, "cli-ear-x", {"--key", key_hex("cli-someone-else"), "-W", "20"}));
  CHECK(wrong.exit_code == 3);
  CHECK(wrong.err.find("AuthFailed") != std::string::npos);

  // KITE_AUTH_MASTER_KEY stands in for --master-key; an explicit --key wins over it (the
  // variable holds a wrong key here).
  for (const auto& [args, variable] :
       {std::pair{std::vector<std::string>{"-C", "1"}, master},
        std::pair{std::vector<std::string>{"-C", "1", "--key", key_hex("cli-ear-env")},
                  std::string(64, '7')}}) {
    KiteChild listen(listen_args(h, "cli-ear-env", args), "", {"KITE_AUTH_MASTER_KEY=" + variable});
    require_online(h, "cli-ear-env", listen);
    h.send_ok("cli-ear-env", "heard");
    auto done = listen.wait(kWait);
    INFO("stdout: " << done.out << "\nstderr: " << done.err);
    CHECK(done.exit_code == 0);
    CHECK(done.out == "heard\n");
    h.wait_device("cli-ear-env", [](const auto& b) { return b["online"] == false; });
  }

  // Usage errors: 2, before connecting anywhere.
  CHECK(run_kite(listen_args(h, "d", {})).exit_code == 2);  // no credentials
  CHECK(run_kite(listen_args(h, "d", {"--master-key", master, "--key", key_hex("d")})).exit_code ==
        2);
  CHECK(run_kite(listen_args(h, "d", {"--key", "00"})).exit_code == 2);
  CHECK(run_kite({"listen", "--master-key", master}).exit_code == 2);  // no --id
  CHECK(run_kite(listen_args(h, "d", {"--master-key", master, "--format", "xml"})).exit_code == 2);
  CHECK(run_kite(listen_args(h, "d", {"--master-key", master, "-W", "0"})).exit_code == 2);
  CHECK(run_kite(listen_args(h, "d", {"--master-key", master, "-C", "0"})).exit_code == 2);
  CHECK(run_kite(listen_args(h, "d", {"--master-key", master, "--join", "a/b"})).exit_code == 2);
  CHECK(run_kite(listen_args(h, "d", {"--master-key", master, "--on-command", "/nonexistent/x"}))
            .exit_code == 2);
  CHECK(run_kite(listen_args(h, "service:d", {"--master-key", master})).exit_code == 2);
}

TEST_CASE("14.12 cli: kite listen --on-command replies with the script's stdout and exit status") {
  Harness h;
  TempFile script("kite-cli-on-command",
                  "#!/bin/sh\n"
                  "payload=$(cat)\n"
                  "if [ \"$1\" = slow ]; then sleep 30; fi\n"
                  "printf '%s got %s' \"$1\" \"$payload\"\n"
                  "exit 7\n",
                  /*executable=*/true);
  KiteChild listen(listen_args(
      h, "cli-ear-cmd", {"--master-key", master_key_hex(), "--on-command", script.path.string()}));
  require_online(h, "cli-ear-cmd", listen);
  const auto command = [&](const std::string& name, const std::string& payload, int timeout_ms) {
    nlohmann::json body{{"name", name}, {"payload", payload}, {"timeout_ms", timeout_ms}};
    return h.http.request("POST", "/v1/devices/cli-ear-cmd/commands", body.dump());
  };

  auto greet = command("greet", "hi there", kWait);
  INFO("answer: " << greet.body << "\nkite listen stderr: " << listen.err());
  REQUIRE(greet.status == 200);
  CHECK(greet.json()["status"] == 7);
  CHECK(greet.json()["payload"] == "greet got hi there");

  // Past the command's time the script is killed, and the reply (124, why) still reaches the
  // backend before it stops waiting.
  const Millis asked = now_ms();
  auto slow = command("slow", "", 2000);
  INFO("slow: " << slow.body);
  REQUIRE(slow.status == 200);
  CHECK(slow.json()["status"] == 124);
  CHECK(slow.json()["payload"].get<std::string>().find("ran past") != std::string::npos);
  CHECK(now_ms() - asked < 2000);

  // The listener goes on answering.
  auto again = command("again", "x", kWait);
  REQUIRE(again.status == 200);
  CHECK(again.json()["payload"] == "again got x");

  // A script that cannot start (gone since kite listen checked it): 127 and why.
  std::filesystem::remove(script.path);
  auto gone = command("greet", "", kWait);
  INFO("gone: " << gone.body);
  REQUIRE(gone.status == 200);
  CHECK(gone.json()["status"] == 127);
  CHECK(gone.json()["payload"].get<std::string>().find("cannot run") != std::string::npos);

  // SIGTERM stops it cleanly: exit 0, and kited sees the device leave.
  listen.signal(SIGTERM);
  auto done = listen.wait(kWait);
  INFO("stderr: " << done.err);
  CHECK(done.exit_code == 0);
  CHECK(done.err.find("SIGTERM") != std::string::npos);
  CHECK(done.err.find("command greet: status 7") != std::string::npos);
  CHECK(done.out.empty());
  CHECK(h.wait_device("cli-ear-cmd",
                      [](const auto& b) { return b["online"] == false; })["online"] == false);
}

TEST_CASE("14.13 cli: kite listen --join hears its groups; SIGINT stops it with exit 0") {
  Harness h;
  KiteChild listen(listen_args(h, "cli-ear-room", {"--join", "room-a", "--join", "room-b"}), "",
                   {"KITE_AUTH_MASTER_KEY=" + master_key_hex()});
  REQUIRE(listen.wait_output("joined group room-a", kWait, /*in_stderr=*/true));
  REQUIRE(listen.wait_output("joined group room-b", kWait, /*in_stderr=*/true));
  CHECK(h.http.request("GET", "/v1/groups/room-a").json()["size"] == 1);

  auto sent = run_kite(api_args(h, {"send", "--group", "room-b", "to the room"}));
  CHECK(sent.exit_code == 0);
  CHECK(listen.wait_output("to the room\n", kWait));

  listen.signal(SIGINT);
  auto done = listen.wait(kWait);
  INFO("stdout: " << done.out << "\nstderr: " << done.err);
  CHECK(done.exit_code == 0);
  CHECK(done.out == "to the room\n");
  CHECK(done.err.find("SIGINT") != std::string::npos);
}

TEST_CASE("14.15 cli: kite listen -C 2 takes two of five queued messages; the rest wait") {
  Harness h;
  for (int i = 1; i <= 5; ++i) h.send_ok("cli-ear-queue", "m" + std::to_string(i));

  // Queued before it connects, all five could come in one burst: only two may be taken (and
  // acknowledged), or the other three would be lost to the next listener.
  auto first =
      run_kite(listen_args(h, "cli-ear-queue", {"--master-key", master_key_hex(), "-C", "2"}));
  INFO("first: " << first.out << first.err);
  CHECK(first.exit_code == 0);
  CHECK(first.out == "m1\nm2\n");
  auto info = h.wait_device("cli-ear-queue", [](const auto& b) { return b["online"] == false; });
  CHECK(info["acked_through"] == 2);
  CHECK(info["queued"] == 3);

  auto rest =
      run_kite(listen_args(h, "cli-ear-queue", {"--master-key", master_key_hex(), "-C", "3"}));
  INFO("rest: " << rest.out << rest.err);
  CHECK(rest.exit_code == 0);
  CHECK(rest.out == "m3\nm4\nm5\n");
}

}  // namespace kite::it
