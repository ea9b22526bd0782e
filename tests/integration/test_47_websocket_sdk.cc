// The device SDK over WebSocket against a real kited: ws:// and wss:// URLs (the same session:
// messages, acks, a command, resume after a kick), and through a real HTTP CONNECT proxy
// (tinyproxy) with basic auth, whose refusal of wrong credentials the state change reports.
#include <mutex>
#include <string>
#include <tuple>

#include "harness.h"
#include "sdk_probe.h"
#include "tinyproxy_process.h"
#include "tls_fixture.h"

namespace kite::it {
namespace {

// kited with a ws:// listener, and with `pki` a wss:// one too.
std::vector<std::string> websocket_args(std::uint16_t ws_port, std::uint16_t wss_port = 0,
                                        const TlsPki* pki = nullptr) {
  std::vector<std::string> args = {"--set", "websocket.listen=127.0.0.1:" + std::to_string(ws_port),
                                   "--set", "websocket.path=/kite"};
  if (pki)
    args.insert(args.end(), {"--set", "websocket.tls_listen=127.0.0.1:" + std::to_string(wss_port),
                             "--set", "tls.cert_file=" + pki->server.certificate, "--set",
                             "tls.key_file=" + pki->server.key});
  return args;
}

// Connects `options` and checks the session: a message and its ack, a command, and a resume
// after kited kicks the device.
void exercise(Harness& h, ClientOptions options) {
  const std::string id = options.device_id;
  Client client(std::move(options));
  SdkProbe probe(client);
  REQUIRE_MESSAGE(client.start() == Error::Ok, client.start_error());
  REQUIRE(probe.wait_state(State::Connected, 1, kWait));
  h.send_ok(id, "over websocket");
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() == 1; }, kWait));
  CHECK(probe.snapshot().messages[0] == "over websocket");
  h.wait_device(id, [](const auto& b) { return b["acked_through"] == 1; });
  const auto answer = h.http.request("POST", "/v1/devices/" + id + "/commands",
                                     R"({"name":"ping","payload":"1","timeout_ms":3000})");
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  CHECK(answer.json()["payload"] == "ping:1");
  // Kicked: the SDK comes back and resumes; what was sent meanwhile arrives once.
  REQUIRE(h.http.request("DELETE", "/v1/devices/" + id + "/connection", "").status / 100 == 2);
  h.send_ok(id, "after the kick");
  REQUIRE(probe.wait_state(State::Connected, 2, 3 * kWait));
  REQUIRE(probe.wait([](const SdkRecord& r) { return r.messages.size() == 2; }, kWait));
  const SdkRecord record = probe.snapshot();
  CHECK(record.messages[1] == "after the kick");
  CHECK(record.states.back().resumed);
  client.stop();  // and its last state change handed to the probe before the probe goes
  CHECK(probe.wait_state(State::Stopped, 1, kWait));
}

}  // namespace

TEST_CASE("47.1 websocket sdk: ws:// and wss:// URLs carry the same session") {
  TlsPki pki("ws");
  const std::uint16_t ws_port = free_port(), wss_port = free_port();
  Harness h(websocket_args(ws_port, wss_port, &pki));
  SUBCASE("ws://") {
    auto options = sdk_options("web-sdk-1", 1);
    options.url = "ws://127.0.0.1:" + std::to_string(ws_port) + "/kite";
    exercise(h, options);
  }
  SUBCASE("wss://") {
    auto options = sdk_options("web-sdk-2", 1);
    options.url = "wss://127.0.0.1:" + std::to_string(wss_port) + "/kite";
    options.tls.ca_file = pki.ca.ca_file();
    exercise(h, options);
  }
}

TEST_CASE(
    "47.2 websocket sdk: through an HTTP CONNECT proxy with basic auth; wrong credentials "
    "are reported") {
  TlsPki pki("wsp");
  const std::uint16_t ws_port = free_port(), wss_port = free_port();
  Harness h(websocket_args(ws_port, wss_port, &pki));
  TinyproxyProcess proxy;
  SUBCASE("wss:// through the proxy") {
    auto options = sdk_options("proxied-1", 1);
    options.url = "wss://127.0.0.1:" + std::to_string(wss_port) + "/kite";
    options.tls.ca_file = pki.ca.ca_file();
    options.proxy = proxy.url();
    exercise(h, options);
  }
  SUBCASE("raw TCP through the proxy") {
    auto options = sdk_options("proxied-2", h.kited.device_port());
    options.proxy = proxy.url();
    exercise(h, options);
  }
  SUBCASE("a wrong password") {
    auto options = sdk_options("proxied-3", 1);
    options.url = "ws://127.0.0.1:" + std::to_string(ws_port) + "/kite";
    options.proxy = proxy.url(TinyproxyProcess::kUser, "wrong");
    std::mutex mutex;
    std::string detail;
    Client client(options);
    SdkProbe probe(client, {}, [&](const StateChange& s) {
      std::lock_guard lock(mutex);
      if (s.state == State::Disconnected)
        detail = std::string(s.reason) + ": " + std::string(s.detail);
    });
    REQUIRE(client.start() == Error::Ok);
    REQUIRE(probe.wait_state(State::Disconnected, 1, kWait));
    std::string said;
    {
      std::lock_guard lock(mutex);
      said = detail;
    }
    INFO(said);
    // tinyproxy says 401 to wrong credentials (407 to none)
    CHECK(said.starts_with("ProxyFailed: the proxy answered CONNECT with 401"));
    CHECK(said.ends_with("(check the user and password in the proxy option)"));
    client.stop();  // and its last state change handed to the probe before the probe goes
    CHECK(probe.wait_state(State::Stopped, 1, kWait));
  }
}

TEST_CASE("47.3 websocket sdk: start() refuses a malformed url or proxy, saying which") {
  for (auto [url, proxy, words] :
       {std::tuple{"http://127.0.0.1/kite", "", "url: expected ws://"},
        std::tuple{"ws://user@127.0.0.1/kite", "", "is not a ws:// or wss:// URL"},
        std::tuple{"ws://127.0.0.1:99999/", "", "is not a ws:// or wss:// URL"},
        std::tuple{"", "socks5://127.0.0.1:1080", "proxy: expected http://"}}) {
    auto options = sdk_options("bad-url", 7000);
    options.url = url;
    options.proxy = proxy;
    Client client(options);
    CHECK(client.start() == Error::Invalid);
    const std::string error = client.start_error();
    CHECK(error.find(words) != std::string::npos);
  }
}

}  // namespace kite::it
