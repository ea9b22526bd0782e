// Access policy against a real kited: named admin tokens with scopes (401 without a known token,
// 403 with one that lacks the route's scope, the old admin.token still good for everything,
// tokens reloaded on SIGHUP); address lists on the device and admin ports (a refused address is
// closed before a byte is read, IPv4 and IPv6); per-IP connection caps on both ports.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "harness.h"
#include "kite/protocol/frame_codec.h"
#include "kite/protocol/limits.h"

namespace kite::it {
namespace {

constexpr const char* kSenderToken = "sender-token-0123456789";
constexpr const char* kReaderToken = "reader-token-0123456789";  // configured by its SHA-256
constexpr const char* kReaderSha256 =
    "b3057e05d75e8cdca4bd6ddd527af736913e8464a7a3d47d7a09389eaa8e1eb4";
constexpr const char* kOperatorToken = "operator-token-0123456789";

std::string tokens_toml(bool with_sender) {
  std::string toml;
  if (with_sender)
    toml += "[[admin.tokens]]\nname = \"sender\"\ntoken = \"" + std::string(kSenderToken) +
            "\"\nscopes = [\"send\"]\n\n";
  toml += "[[admin.tokens]]\nname = \"reader\"\ntoken_sha256 = \"" + std::string(kReaderSha256) +
          "\"\nscopes = [\"read\"]\n\n";
  toml += "[[admin.tokens]]\nname = \"operator\"\ntoken = \"" + std::string(kOperatorToken) +
          "\"\nscopes = [\"admin\"]\n";
  return toml;
}

// A config file in the temporary directory, removed at the end of the test.
struct ConfigFile {
  explicit ConfigFile(const std::string& toml)
      : path(std::filesystem::temp_directory_path() /
             ("kite-it-policy-" + std::to_string(::getpid()) + ".toml")) {
    write(toml);
  }
  ~ConfigFile() {
    std::error_code ignored;
    std::filesystem::remove(path, ignored);
  }
  void write(const std::string& toml) const { std::ofstream(path) << toml; }
  std::filesystem::path path;
};

struct Route {
  const char* method;
  const char* path;
  const char* body;
  const char* scope;  // what it needs
};

// One route of each kind; bodies are valid so that an authorized request is served.
const Route kRoutes[] = {
    {"POST", "/v1/devices/scoped-1/messages", R"({"payload":"hi"})", "send"},
    {"POST", "/v1/messages", R"({"devices":["scoped-1"],"payload":"hi"})", "send"},
    {"POST", "/v1/devices/scoped-1/commands", R"({"name":"ping","timeout_ms":100})", "send"},
    {"PUT", "/v1/groups/room-1/members/scoped-1", "", "send"},
    {"DELETE", "/v1/groups/room-1/members/scoped-2", "", "send"},
    {"GET", "/v1/devices/scoped-1", "", "read"},
    {"GET", "/v1/devices?online=true", "", "read"},
    {"GET", "/v1/groups/room-1", "", "read"},
    {"GET", "/v1/events?wait=0", "", "read"},
    {"GET", "/metrics", "", "read"},
    {"DELETE", "/v1/devices/scoped-1/connection", "", "admin"},
};

bool allows(const std::string& token_scope, const std::string& route_scope) {
  return token_scope == "admin" || token_scope == route_scope;
}

// A raw connection kited refuses by address is closed before it answers anything.
void check_closed_without_a_byte(std::uint16_t port, const std::string& source_ip) {
  RawSocket raw(port, source_ip);
  REQUIRE(raw.read_until_closed(kWait));
  CHECK(raw.received().empty());
}

// A raw connection that kited accepted: not closed, and a frame header above the handshake
// limit is answered with an Error frame (so kited really read from it).
void check_served(std::uint16_t port, const std::string& source_ip) {
  RawSocket raw(port, source_ip);
  CHECK(raw.read_for(100));  // still open: no refusal
  CHECK_FALSE(raw.peer_closed());
  Bytes header(protocol::kHeaderSize);
  protocol::write_header({protocol::limits::kHandshakeMaxBody + 1, 0, 0}, header.data());
  raw.send(header);
  REQUIRE(raw.read_until_closed(kWait));
  auto goodbye = goodbye_in(raw.received());
  REQUIRE(goodbye);
  CHECK(goodbye->reason == Reason::FrameTooLarge);
}

// An HTTP request on a fresh connection from `source_ip`; the raw answer ("" if closed silently).
std::string http_from(std::uint16_t port, const std::string& source_ip, bool expect_close) {
  RawSocket raw(port, source_ip);
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: kite\r\nConnection: close\r\n\r\n";
  raw.send({reinterpret_cast<const std::uint8_t*>(request.data()), request.size()});
  bool closed = raw.read_until_closed(kWait);
  if (expect_close) CHECK(closed);
  return {raw.received().begin(), raw.received().end()};
}

// Whether this machine lets a process listen on and connect to [::1].
bool ipv6_loopback_works() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

// A free port on [::1] (bound to port 0, then released).
std::uint16_t free_port_v6() {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  socklen_t length = sizeof address;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin6_port);
}

// Connects to [::1]:port, sends `bytes`, and reads until kited closes; what it answered.
std::optional<Bytes> exchange_v6(std::uint16_t port, const Bytes& bytes) {
  int fd = ::socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
  REQUIRE(fd >= 0);
  sockaddr_in6 address{};
  address.sin6_family = AF_INET6;
  address.sin6_addr = in6addr_loopback;
  address.sin6_port = htons(port);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  if (!bytes.empty()) ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  Bytes received;
  const Millis deadline = now_ms() + kWait;
  bool closed = false;
  while (!closed && now_ms() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    std::uint8_t buffer[4096];
    ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) closed = true;
    if (n > 0) received.insert(received.end(), buffer, buffer + n);
  }
  ::close(fd);
  if (!closed) return std::nullopt;
  return received;
}

}  // namespace

TEST_CASE("17.1 policy: each route answers 401 without a known token, 403 without its scope") {
  ConfigFile config(tokens_toml(true));
  Harness h({"--config", config.path.string()});
  // Membership for the DELETE route and the group lookup to find.
  REQUIRE(h.http.request("PUT", "/v1/groups/room-1/members/scoped-2").status == 201);

  const std::pair<const char*, const char*> tokens[] = {{kSenderToken, "send"},
                                                        {kReaderToken, "read"},
                                                        {kOperatorToken, "admin"},
                                                        {kAdminToken, "admin"}};
  for (const Route& route : kRoutes) {
    CAPTURE(route.method);
    CAPTURE(route.path);
    // No token, an unknown one, and a near miss: 401, with error="invalid_token" for a sent one.
    HttpClient anonymous(h.kited.admin_port());
    auto missing = anonymous.request(route.method, route.path, route.body, false);
    CHECK(missing.status == 401);
    CHECK(missing.headers.find("WWW-Authenticate: Bearer realm=\"kite\"") != std::string::npos);
    CHECK(missing.headers.find("invalid_token") == std::string::npos);
    for (const std::string wrong : {"nope", "sender-token-012345678", "Sender-token-0123456789"}) {
      auto answer =
          HttpClient(h.kited.admin_port(), wrong).request(route.method, route.path, route.body);
      CHECK(answer.status == 401);
      CHECK(answer.headers.find("error=\"invalid_token\"") != std::string::npos);
    }
    for (const auto& [token, scope] : tokens) {
      // INFO and CAPTURE are lambdas, and clang 14 cannot capture a structured binding.
      const auto& token_scope = scope;
      CAPTURE(token_scope);
      auto answer =
          HttpClient(h.kited.admin_port(), token).request(route.method, route.path, route.body);
      INFO("answer: " << answer.status << " " << answer.body);
      if (allows(scope, route.scope)) {
        CHECK(answer.status != 401);
        CHECK(answer.status != 403);
        CHECK(answer.status < 500);
      } else {
        CHECK(answer.status == 403);
        CHECK(answer.json()["required_scope"] == route.scope);
        CHECK(answer.headers.find("error=\"insufficient_scope\", scope=\"" +
                                  std::string(route.scope) + "\"") != std::string::npos);
        CHECK(answer.body.find(token) == std::string::npos);  // the secret is never echoed
      }
    }
  }
  // Health checks stay open.
  HttpClient anonymous(h.kited.admin_port());
  CHECK(anonymous.request("GET", "/healthz", "", false).status == 200);
  CHECK(anonymous.request("GET", "/readyz", "", false).status == 200);
  // Denials are logged with the token's name, never its secret (a few lines a second: the first
  // route's are among them).
  REQUIRE(wait_log(h.kited, "api.forbidden token=reader scope=send method=POST"));
  CHECK(wait_log(h.kited, "api.unauthorized token=missing"));
  CHECK(h.kited.log().find(kSenderToken) == std::string::npos);
  CHECK(h.kited.log().find(kReaderToken) == std::string::npos);
}

TEST_CASE(
    "17.2 policy: the single admin.token still does everything, and tokens reload on SIGHUP") {
  ConfigFile config(tokens_toml(true));
  Harness h({"--config", config.path.string()});
  TestDevice device(h.device_options("legacy-1"));
  device.connect_and_open();
  h.send_ok("legacy-1", "still works");
  REQUIRE(device.next_message(kWait));
  CHECK(h.http.device("legacy-1")["online"] == true);
  CHECK(h.http.request("GET", "/metrics").status == 200);
  CHECK(h.http.request("DELETE", "/v1/devices/legacy-1/connection").status == 200);

  // The sender goes away from the file; the reader stays; a reload applies it at once.
  HttpClient sender(h.kited.admin_port(), kSenderToken), reader(h.kited.admin_port(), kReaderToken);
  CHECK(sender.send("legacy-1", "before").status == 202);
  config.write(tokens_toml(false));
  h.kited.signal(SIGHUP);
  REQUIRE(wait_log(h.kited, "server.reloaded"));
  CHECK(sender.send("legacy-1", "after").status == 401);
  CHECK(reader.request("GET", "/v1/devices/legacy-1").status == 200);
  CHECK(h.http.request("GET", "/v1/devices/legacy-1").status == 200);

  // A broken token table is refused as a whole: the running tokens stay.
  config.write("[[admin.tokens]]\nname = \"x\"\ntoken = \"short\"\nscopes = [\"read\"]\n");
  h.kited.signal(SIGHUP);
  REQUIRE(wait_log(h.kited, "server.reload_failed"));
  CHECK(reader.request("GET", "/v1/devices/legacy-1").status == 200);
}

TEST_CASE("17.3 policy: a device-port deny list closes that address before a byte is read") {
  Harness h({"--set", "device.deny=127.0.0.2/32"});
  check_closed_without_a_byte(h.kited.device_port(), "127.0.0.2");
  auto options = h.device_options("denied-1");
  options.source_ip = "127.0.0.2";
  TestDevice denied(options);
  CHECK_THROWS(denied.connect_and_open(2'000));

  // Everything else is served: 127.0.0.1 and 127.0.0.3 open sessions.
  TestDevice allowed(h.device_options("allowed-1"));
  allowed.connect_and_open();
  options.id = "allowed-3";
  options.source_ip = "127.0.0.3";
  TestDevice elsewhere(options);
  elsewhere.connect_and_open();
  check_served(h.kited.device_port(), "127.0.0.1");

  CHECK(metric(h, R"(kite_connections_refused_total{port="device",reason="deny_list"})") == 2);
  CHECK(metric(h, R"(kite_connections_refused_total{port="device",reason="not_allowed"})") == 0);
  CHECK(wait_log(h.kited, "connection.refused port=device ip=127.0.0.2 reason=deny_list"));
}

TEST_CASE("17.4 policy: allow lists admit only their addresses, IPv6 included; admin port too") {
  const bool ipv6 = ipv6_loopback_works();
  std::vector<std::string> extra = {"--set", "device.allow=::1/128,127.0.0.1/32", "--set",
                                    "admin.allow=127.0.0.1"};
  std::uint16_t v6_port = 0;
  if (ipv6) {
    v6_port = free_port_v6();
    extra.insert(extra.end(), {"--device-listen", "[::1]:" + std::to_string(v6_port)});
  } else {
    MESSAGE("no IPv6 loopback on this machine: the [::1] part is skipped");
  }
  Harness h(extra);
  TestDevice allowed(h.device_options("allow-1"));
  allowed.connect_and_open();
  check_served(h.kited.device_port(), "127.0.0.1");
  check_closed_without_a_byte(h.kited.device_port(), "127.0.0.2");
  check_closed_without_a_byte(h.kited.device_port(), "127.0.0.9");
  if (ipv6) {
    Bytes header(protocol::kHeaderSize);
    protocol::write_header({protocol::limits::kHandshakeMaxBody + 1, 0, 0}, header.data());
    auto answer = exchange_v6(v6_port, header);
    REQUIRE(answer);
    auto goodbye = goodbye_in(*answer);
    REQUIRE(goodbye);  // served: ::1 is on the allow list
    CHECK(goodbye->reason == Reason::FrameTooLarge);
  }
  CHECK(metric(h, R"(kite_connections_refused_total{port="device",reason="not_allowed"})") == 2);

  // The admin port: 127.0.0.1 (this client) is served, 127.0.0.2 is closed without an answer.
  CHECK(http_from(h.kited.admin_port(), "127.0.0.1", true).starts_with("HTTP/1.1 200"));
  CHECK(http_from(h.kited.admin_port(), "127.0.0.2", true).empty());
  CHECK(metric(h, R"(kite_connections_refused_total{port="admin",reason="not_allowed"})") == 1);
}

TEST_CASE("17.5 policy: an IPv6 address outside the device allow list is refused") {
  if (!ipv6_loopback_works()) {
    MESSAGE("no IPv6 loopback on this machine: skipped");
    return;
  }
  const std::uint16_t v6_port = free_port_v6();
  Harness h({"--set", "device.allow=127.0.0.0/8,2001:db8::/32", "--device-listen",
             "[::1]:" + std::to_string(v6_port)});
  Bytes header(protocol::kHeaderSize);
  protocol::write_header({protocol::limits::kHandshakeMaxBody + 1, 0, 0}, header.data());
  auto answer = exchange_v6(v6_port, header);
  REQUIRE(answer);
  CHECK(answer->empty());  // closed at once, the frame never read
  check_served(h.kited.device_port(), "127.0.0.5");
}

TEST_CASE("17.6 policy: the per-IP cap refuses the cap+1-th connection, authenticated or not") {
  constexpr int kCap = 3;
  Harness h({"--set", "device.max_connections_per_ip=" + std::to_string(kCap)});
  // kCap authenticated devices from 127.0.0.2: not counted by the unauthenticated limit (64).
  std::vector<std::unique_ptr<TestDevice>> devices;
  for (int i = 0; i < kCap; ++i) {
    auto options = h.device_options(numbered("capped", i));
    options.source_ip = "127.0.0.2";
    devices.push_back(std::make_unique<TestDevice>(options));
    devices.back()->connect_and_open();
  }
  {
    RawSocket over(h.kited.device_port(), "127.0.0.2");
    REQUIRE(over.read_until_closed(kWait));
    auto goodbye = goodbye_in(over.received());
    REQUIRE(goodbye);
    CHECK(goodbye->reason == Reason::TooManyAttempts);
  }
  // Another address is not affected.
  auto options = h.device_options("other-ip");
  options.source_ip = "127.0.0.3";
  TestDevice other(options);
  other.connect_and_open();
  CHECK(metric(h, R"(kite_connections_refused_total{port="device",reason="per_ip_cap"})") == 1);
  CHECK(metric(h,
               R"(kite_connections_refused_total{port="device",reason="unauthenticated_limit"})") ==
        0);

  // When one of them leaves, its slot is free again.
  devices.front()->close();
  options.id = "capped-again";
  options.source_ip = "127.0.0.2";
  TestDevice again(options);
  bool opened = false;
  const Millis deadline = now_ms() + kWait;
  while (!opened && now_ms() < deadline) {
    again.connect();
    opened = again.wait_open(500);
  }
  CHECK(opened);
}

TEST_CASE("17.7 policy: the admin port's per-IP cap answers 429 to one more connection") {
  Harness h({"--set", "admin.max_connections_per_ip=2"});
  // Two idle keep-alive connections from 127.0.0.2 hold its two slots.
  RawSocket first(h.kited.admin_port(), "127.0.0.2"), second(h.kited.admin_port(), "127.0.0.2");
  first.read_for(50);
  second.read_for(50);
  CHECK_FALSE(first.peer_closed());
  CHECK_FALSE(second.peer_closed());
  std::string refused = http_from(h.kited.admin_port(), "127.0.0.2", true);
  CHECK(refused.starts_with("HTTP/1.1 429"));
  CHECK(refused.find("too many connections from this address") != std::string::npos);
  CHECK(http_from(h.kited.admin_port(), "127.0.0.3", true).starts_with("HTTP/1.1 200"));
  CHECK(metric(h, R"(kite_connections_refused_total{port="admin",reason="per_ip_cap"})") == 1);
}

}  // namespace kite::it
