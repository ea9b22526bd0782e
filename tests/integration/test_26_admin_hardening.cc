// The admin port under a hostile or careless client: request deadlines and the bearer token
// checked before a body is read (M7), pipelining bounded per read (L4), command caps and
// back-pressure (M6), event-reader slots per token and bulk answers for huge groups and bulk sends
// in slices (L11).
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "harness.h"
#include "sse_client.h"

namespace kite::it {
namespace {

void send_text(RawSocket& socket, std::string_view text) {
  socket.send({reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
}

std::string text_of(const RawSocket& socket) {
  return std::string(socket.received().begin(), socket.received().end());
}

// Reads until `needle` has arrived, the peer closed, or `timeout_ms` passed.
bool wait_for_text(RawSocket& socket, std::string_view needle, int timeout_ms) {
  const Millis deadline = now_ms() + timeout_ms;
  while (text_of(socket).find(needle) == std::string::npos && now_ms() < deadline)
    if (!socket.read_for(20)) break;
  return text_of(socket).find(needle) != std::string::npos;
}

std::size_t count_of(const std::string& text, std::string_view needle) {
  std::size_t count = 0;
  for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1))
    ++count;
  return count;
}

std::string post_head(const std::string& path, std::size_t length, const std::string& token,
                      const std::string& extra = {}) {
  std::string head =
      "POST " + path + " HTTP/1.1\r\nHost: kite\r\nContent-Type: application/json\r\n";
  if (!token.empty()) head += "Authorization: Bearer " + token + "\r\n";
  return head + extra + "Content-Length: " + std::to_string(length) + "\r\n\r\n";
}

// A config file in the temporary directory, removed at the end of the test.
struct ConfigFile {
  explicit ConfigFile(const std::string& toml)
      : path(std::filesystem::temp_directory_path() /
             ("kite-it-admin-" + std::to_string(::getpid()) + ".toml")) {
    std::ofstream(path) << toml;
  }
  ~ConfigFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  std::filesystem::path path;
};

std::string command_request(const std::string& device, const std::string& name, int timeout_ms,
                            const std::string& payload = {}) {
  nlohmann::json body{{"name", name}, {"timeout_ms", timeout_ms}};
  if (!payload.empty()) body["payload"] = payload;
  const std::string text = body.dump();
  return post_head("/v1/devices/" + device + "/commands", text.size(), kAdminToken) + text;
}

}  // namespace

TEST_CASE("26.1 admin: a POST without a valid token gets 401 before its body is sent") {
  Harness h;
  for (const std::string token : {"", "not-the-admin-token-at-all"}) {
    CAPTURE(token);
    RawSocket socket(h.kited.admin_port());
    send_text(socket, post_head("/v1/devices/d-1/messages", 1024 * 1024, token));
    // Not one body byte was sent: the answer comes from the head alone, and the connection ends.
    REQUIRE(socket.read_until_closed(kWait));
    const std::string answer = text_of(socket);
    CHECK(answer.starts_with("HTTP/1.1 401"));
    CHECK(answer.find("application/problem+json") != std::string::npos);
    CHECK(answer.find("WWW-Authenticate") != std::string::npos);
  }
  RawSocket nowhere(h.kited.admin_port());  // no route: 404 before the body too
  send_text(nowhere, post_head("/v1/nowhere", 1024 * 1024, kAdminToken));
  REQUIRE(nowhere.read_until_closed(kWait));
  CHECK(text_of(nowhere).starts_with("HTTP/1.1 404"));
  CHECK(h.http.device("d-1")["queued"] == 0);
}

TEST_CASE("26.2 admin: 100-continue is sent only once the token is good") {
  Harness h;
  const std::string body = R"({"payload":"hi"})";
  const std::string expect = "Expect: 100-continue\r\n";
  RawSocket bad(h.kited.admin_port());
  send_text(bad,
            post_head("/v1/devices/d-1/messages", body.size(), "wrong-token-wrong-token", expect));
  REQUIRE(bad.read_until_closed(kWait));
  CHECK(text_of(bad).starts_with("HTTP/1.1 401"));
  CHECK(text_of(bad).find("100 Continue") == std::string::npos);

  RawSocket good(h.kited.admin_port());
  send_text(good, post_head("/v1/devices/d-1/messages", body.size(), kAdminToken, expect));
  REQUIRE(wait_for_text(good, "\r\n\r\n", kWait));
  CHECK(text_of(good).starts_with("HTTP/1.1 100 Continue"));
  send_text(good, body);
  CHECK(wait_for_text(good, "HTTP/1.1 202", kWait));
  CHECK(h.http.device("d-1")["queued"] == 1);
}

TEST_CASE("26.3 admin: a request head trickled past admin.head_timeout_ms is closed") {
  Harness h({"--set", "admin.head_timeout_ms=1000"});
  RawSocket socket(h.kited.admin_port());
  const Millis started = now_ms();
  send_text(socket, "GET /v1/devices/d-1 HTTP/1.1\r\nX-Slow: ");
  // A byte every 50 ms keeps the connection far from idle; only the head deadline can end it.
  while (!socket.peer_closed() && now_ms() - started < 3 * kWait) {
    send_text(socket, "a");
    socket.read_for(50);
  }
  CHECK(socket.peer_closed());
  CHECK(now_ms() - started < kWait);
  CHECK(text_of(socket).starts_with("HTTP/1.1 408"));
}

TEST_CASE("26.4 admin: a 1 MiB body sent a byte at a time is closed by the body deadline") {
  Harness h({"--set", "admin.head_timeout_ms=1000"});  // min_body_rate: 8192 B/s by default
  RawSocket socket(h.kited.admin_port());
  const Millis started = now_ms();
  send_text(socket, post_head("/v1/devices/d-1/messages", 1024 * 1024, kAdminToken));
  send_text(socket, "{\"payload\":\"");
  while (!socket.peer_closed() && now_ms() - started < 3 * kWait) {
    send_text(socket, "a");
    socket.read_for(20);
  }
  CHECK(socket.peer_closed());
  CHECK(now_ms() - started < kWait);
  CHECK(text_of(socket).starts_with("HTTP/1.1 408"));
}

TEST_CASE("26.5 admin: pipelined requests are dispatched max_pipelined (32) at a time") {
  Harness h({"--set", "admin.max_pending_commands_per_device=100"});
  auto options = h.device_options("slow-1");
  options.reply_to_commands = false;  // each command waits for its timeout: a slow route
  TestDevice device(options);
  device.connect_and_open();
  constexpr int kRequests = 40;
  std::string pipelined;
  for (int i = 0; i < kRequests; ++i)
    pipelined += command_request("slow-1", numbered("c", i), 3000);
  RawSocket socket(h.kited.admin_port());
  send_text(socket, pipelined);  // one write
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return device.commands().size() >= 32; }));
  // Well before the first timeout, no more than 32 are in flight.
  device.pump_until(now_ms() + 500, [] { return false; });
  CHECK(device.commands().size() == 32);
  const Millis deadline = now_ms() + 3 * kWait;
  while (count_of(text_of(socket), "HTTP/1.1 504") < kRequests && now_ms() < deadline) {
    device.pump_until(now_ms() + 20, [] { return false; });
    socket.read_for(1);
  }
  CHECK(count_of(text_of(socket), "HTTP/1.1 504") == kRequests);
  CHECK_FALSE(socket.peer_closed());
  REQUIRE(device.commands().size() == kRequests);
  for (int i = 0; i < kRequests; ++i) CHECK(device.commands()[i].first == numbered("c", i));
}

TEST_CASE("26.6 admin: a device's pending commands are capped; an abandoned one frees its slot") {
  Harness h({"--set", "admin.max_pending_commands_per_device=2"});
  auto options = h.device_options("mute-1");
  options.reply_to_commands = false;
  TestDevice device(options);
  device.connect_and_open();
  auto first = std::make_unique<RawSocket>(h.kited.admin_port());
  RawSocket second(h.kited.admin_port());
  send_text(*first, command_request("mute-1", "one", 60'000));
  send_text(second, command_request("mute-1", "two", 60'000));
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return device.commands().size() == 2; }));

  auto refused = h.http.request("POST", "/v1/devices/mute-1/commands", R"({"name":"three"})");
  CHECK(refused.status == 429);
  CHECK(refused.json()["title"] == "Too many commands");
  CHECK(refused.json()["detail"].get<std::string>().find("2 commands") != std::string::npos);
  CHECK(refused.headers.find("Retry-After") != std::string::npos);

  first.reset();  // its HTTP client goes away: the command is cancelled and the cap frees up
  int status = 429;
  const Millis deadline = now_ms() + kWait;
  while (status == 429 && now_ms() < deadline) {
    device.pump_until(now_ms() + 10, [] { return false; });
    status =
        h.http.request("POST", "/v1/devices/mute-1/commands", R"({"name":"four","timeout_ms":100})")
            .status;
  }
  CHECK(status == 504);  // sent, and timed out: the slot was free
}

TEST_CASE("26.7 admin: the server-wide pending-command cap answers 429") {
  Harness h({"--set", "admin.max_pending_commands=2"});
  auto options = h.device_options("mute-a");
  options.reply_to_commands = false;
  TestDevice a(options);
  options.id = "mute-b";
  TestDevice b(options);
  a.connect_and_open();
  b.connect_and_open();
  RawSocket first(h.kited.admin_port()), second(h.kited.admin_port());
  send_text(first, command_request("mute-a", "one", 60'000));
  send_text(second, command_request("mute-b", "two", 60'000));
  std::vector<TestDevice*> both{&a, &b};
  REQUIRE(pump_devices(both, kWait,
                       [&] { return a.commands().size() == 1 && b.commands().size() == 1; }));
  auto refused = h.http.request("POST", "/v1/devices/mute-a/commands", R"({"name":"three"})");
  CHECK(refused.status == 429);
  CHECK(refused.json()["detail"].get<std::string>().find("server has 2 commands") !=
        std::string::npos);
}

TEST_CASE("26.8 admin: commands to a device that does not read stop at its write high-water") {
  Harness h({"--set", "admin.max_pending_commands_per_device=1000"});
  auto options = h.device_options("deaf-1");
  options.reply_to_commands = false;
  options.rcvbuf = 4096;
  TestDevice device(options);
  device.connect_and_open();
  device.set_reading(false);          // from now on it reads nothing
  std::string payload(200'000, 'p');  // pseudo-random letters: compression cannot shrink them
  std::uint32_t state = 1;
  for (char& c : payload) {
    state = state * 1'664'525u + 1'013'904'223u;
    c = static_cast<char>('A' + (state >> 27));
  }
  std::vector<std::unique_ptr<RawSocket>> clients;
  bool refused = false;
  // Without the check every command would be written: 100 x 200 KB held for a deaf device.
  for (int i = 0; i < 100 && !refused; ++i) {
    clients.push_back(std::make_unique<RawSocket>(h.kited.admin_port()));
    send_text(*clients.back(), command_request("deaf-1", numbered("c", i), 60'000, payload));
    refused = wait_for_text(*clients.back(), "HTTP/1.1 429", 200);
  }
  INFO(text_of(*clients.front()).substr(0, 300));
  INFO(text_of(*clients.back()).substr(0, 300));
  REQUIRE(refused);
  CHECK(clients.size() < 40);  // the socket buffers and one high-water mark, not more
  CHECK(text_of(*clients.back()).find("not reading") != std::string::npos);
}

TEST_CASE("26.9 admin: one token holds at most 64 of the 256 event-reader slots") {
  ConfigFile config(
      "[[admin.tokens]]\nname = \"other\"\ntoken = \"other-reader-token-0123\"\n"
      "scopes = [\"read\"]\n");
  Harness h({"--config", config.path.string()});
  std::vector<std::unique_ptr<SseClient>> streams;
  for (int i = 0; i < 64; ++i) {
    streams.push_back(std::make_unique<SseClient>(h.kited.admin_port(), kAdminToken, "/v1/events"));
    REQUIRE(streams.back()->status() == 200);
  }
  SseClient refused(h.kited.admin_port(), kAdminToken, "/v1/events");
  CHECK(refused.status() == 429);
  CHECK(refused.head().find("application/problem+json") != std::string::npos);
  SseClient other(h.kited.admin_port(), "other-reader-token-0123", "/v1/events");
  CHECK(other.status() == 200);  // another token still gets a slot
  streams.pop_back();            // a slot given back is usable again
  int status = 429;
  for (const Millis deadline = now_ms() + kWait; status == 429 && now_ms() < deadline;)
    status = SseClient(h.kited.admin_port(), kAdminToken, "/v1/events?wait=1").status();
  CHECK(status == 200);
}

// Makes devices m-0..m-(count-1) members of `group`, pipelining the PUTs on one connection.
void fill_group(const Harness& h, const std::string& group, int count) {
  RawSocket socket(h.kited.admin_port());
  std::string puts;
  for (int i = 0; i < count; ++i) {
    puts += "PUT /v1/groups/" + group + "/members/" + numbered("m", i) +
            " HTTP/1.1\r\nHost: kite\r\nAuthorization: Bearer " + kAdminToken +
            "\r\nContent-Length: 0\r\n\r\n";
    if (i % 1000 == 999 || i == count - 1) {
      send_text(socket, puts);
      puts.clear();
    }
  }
  const Millis deadline = now_ms() + 6 * kWait;
  while (count_of(text_of(socket), "HTTP/1.1 2") < static_cast<std::size_t>(count) &&
         now_ms() < deadline)
    socket.read_for(50);
  REQUIRE(count_of(text_of(socket), "HTTP/1.1 2") == static_cast<std::size_t>(count));
}

TEST_CASE("26.10 admin: one message to a group above 10,000 devices is answered with counts") {
  Harness h;
  constexpr int kMembers = 10'001;
  fill_group(h, "huge", kMembers);
  auto answer = h.http.request("POST", "/v1/messages", R"({"group":"huge","payload":"x","qos":0})");
  REQUIRE(answer.status == 200);
  auto body = answer.json();
  CHECK(body["summary"]["dropped"] == kMembers);
  CHECK(body["results_omitted"] == true);
  CHECK_FALSE(body.contains("results"));
}

// A bulk send of `messages` QoS 0 messages "n-0", "n-1"... to `group`, answered with a summary.
std::string bulk_send_body(const std::string& group, int messages) {
  nlohmann::json batch{
      {"group", group}, {"report", "summary"}, {"messages", nlohmann::json::array()}};
  for (int i = 0; i < messages; ++i)
    batch["messages"].push_back({{"payload", "n-" + std::to_string(i)}, {"qos", 0}});
  return batch.dump();
}

// Health checks sent one after another on a second connection until `bulk` is answered: how
// many were answered before it.
int health_checks_answered_before(RawSocket& bulk, std::uint16_t admin_port) {
  RawSocket probe(admin_port);
  int answered_meanwhile = 0;
  const Millis deadline = now_ms() + 6 * kWait;
  while (text_of(bulk).find("HTTP/1.1 ") == std::string::npos && now_ms() < deadline) {
    send_text(probe, "GET /healthz HTTP/1.1\r\nHost: kite\r\n\r\n");
    const std::size_t want = static_cast<std::size_t>(answered_meanwhile) + 1;
    while (count_of(text_of(probe), "HTTP/1.1 200") < want && now_ms() < deadline)
      probe.read_for(5);
    bulk.read_for(0);
    if (text_of(bulk).find("HTTP/1.1 ") == std::string::npos) ++answered_meanwhile;
  }
  return answered_meanwhile;
}

// At most 4 sends of many slices at once: a fifth sent meanwhile is refused with 429.
void check_fifth_concurrent_send_refused(const Harness& h, const std::string& body) {
  std::vector<std::unique_ptr<RawSocket>> calls;
  for (int i = 0; i < 5; ++i) {
    calls.push_back(std::make_unique<RawSocket>(h.kited.admin_port()));
    send_text(*calls.back(), post_head("/v1/messages", body.size(), kAdminToken) + body);
  }
  int accepted = 0, refused = 0;
  for (auto& call : calls) {
    REQUIRE(wait_for_text(*call, "\r\n\r\n{", 12 * kWait));
    const std::string text = text_of(*call);
    accepted += text.starts_with("HTTP/1.1 200");
    if (text.starts_with("HTTP/1.1 429")) {
      ++refused;
      CHECK(text.find("Retry-After: 1") != std::string::npos);
    }
  }
  CHECK(accepted == 4);
  CHECK(refused == 1);
}

TEST_CASE(
    "26.11 admin: a send to a huge group goes in slices; other requests are served meanwhile") {
  Harness h;
  constexpr int kMembers = 10'001, kMessages = 200;  // 2,000,200 deliveries, 500 slices
  fill_group(h, "huge", kMembers);
  auto member_options = [&h](int i) {
    DeviceOptions options = h.device_options(numbered("m", i));
    options.receive_window = 2 * kMessages;  // not read during the send: room for every message
    return options;
  };
  TestDevice first(member_options(0));
  TestDevice last(member_options(kMembers - 1));
  first.connect_and_open();
  last.connect_and_open();

  const std::string body = bulk_send_body("huge", kMessages);
  RawSocket bulk(h.kited.admin_port());
  send_text(bulk, post_head("/v1/messages", body.size(), kAdminToken) + body);
  // Before slicing, the whole send ran in one admin-loop turn and no health check could be
  // answered meanwhile.
  const int answered_meanwhile = health_checks_answered_before(bulk, h.kited.admin_port());
  CAPTURE(answered_meanwhile);
  CHECK(answered_meanwhile >= 3);
  REQUIRE(wait_for_text(bulk, "\"summary\"", 6 * kWait));
  const std::string answer = text_of(bulk);
  const auto answer_body = nlohmann::json::parse(answer.substr(answer.find("\r\n\r\n") + 4));
  CHECK(answer_body["summary"]["sent"] == 2 * kMessages);
  CHECK(answer_body["summary"]["dropped"] == (kMembers - 2) * kMessages);

  for (TestDevice* member : {&first, &last}) {  // each got every message once, in order
    auto received = member->take_messages(kMessages, kWait);
    REQUIRE(received.size() == kMessages);
    for (int i = 0; i < kMessages; ++i) CHECK(received[i].payload == "n-" + std::to_string(i));
    CHECK_FALSE(member->next_message(200));
  }

  // QoS 1 in slices too: stored for every member, carried to the two online members.
  auto stored = h.http.request("POST", "/v1/messages", R"({"group":"huge","payload":"kept"})");
  REQUIRE(stored.status == 200);
  CHECK(stored.json()["summary"]["queued"] == kMembers);
  CHECK(stored.json()["results_omitted"] == true);
  for (TestDevice* member : {&first, &last}) {
    auto kept = member->next_message(kWait);
    REQUIRE(kept);
    CHECK(kept->payload == "kept");
  }
  CHECK(h.http.device(numbered("m", 4'321))["queued"] == 1);

  check_fifth_concurrent_send_refused(h, body);
}

}  // namespace kite::it
