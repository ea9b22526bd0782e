// The PROXY protocol with a real HAProxy in front of kited (haproxy_process.h): the client
// address in the header is the one kited shows (device info), checks against its deny and allow
// lists and counts under its per-IP cap, on the device port (v1 and v2) and on the admin port
// (v2) and through to the TLS listener; a header forged by a peer not in proxy_from, and a
// listed proxy's connection without one, are refused, counted and logged.
#include <string>
#include <vector>

#include "haproxy_process.h"
#include "harness.h"
#include "kite/protocol/frame_codec.h"
#include "kite/protocol/limits.h"
#include "tls_fixture.h"
#include "tls_test_device.h"

namespace kite::it {
namespace {

using Header = HaproxyProcess::Header;

// kited with PROXY protocol (either version) on its device port, from HAProxy's address only.
std::vector<std::string> behind_haproxy(std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--set", "device.proxy_protocol=any", "--set",
                                   std::string("device.proxy_from=") + HaproxyProcess::kSource};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// A device of `h` that dials `port` (HAProxy's) from `source_ip`.
DeviceOptions through(const Harness& h, const std::string& id, std::uint16_t port,
                      const std::string& source_ip) {
  DeviceOptions options = h.device_options(id);
  options.port = port;
  options.source_ip = source_ip;
  return options;
}

Bytes bytes_of(std::string_view text) {
  return {text.begin(), text.end()};
}

// An HTTP request on a fresh connection from `source_ip`; the raw answer ("" if closed silently).
std::string http_from(std::uint16_t port, const std::string& source_ip) {
  RawSocket raw(port, source_ip);
  raw.send(bytes_of("GET /healthz HTTP/1.1\r\nHost: kite\r\nConnection: close\r\n\r\n"));
  CHECK(raw.read_until_closed(kWait));
  return {raw.received().begin(), raw.received().end()};
}

}  // namespace

TEST_CASE("38.1 proxy: a device through HAProxy is seen with its own address, v2 and v1") {
  Harness h(behind_haproxy());
  HaproxyProcess haproxy(
      {{h.kited.device_port(), Header::v2}, {h.kited.device_port(), Header::v1}});
  TestDevice v2_device(through(h, "proxied-v2", haproxy.port(0), "127.0.0.5"));
  v2_device.connect_and_open();
  TestDevice v1_device(through(h, "proxied-v1", haproxy.port(1), "127.0.0.7"));
  v1_device.connect_and_open();
  // Not HAProxy's 127.0.0.9: the clients' own addresses, from the headers.
  CHECK(h.http.device("proxied-v2")["address"] == "127.0.0.5");
  CHECK(h.http.device("proxied-v1")["address"] == "127.0.0.7");
  // A message reaches the device through the proxy: the bytes after the header are intact.
  h.send_ok("proxied-v2", "through haproxy");
  auto message = v2_device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "through haproxy");
  CHECK(wait_log(h.kited, "ip=127.0.0.5"));
}

TEST_CASE("38.2 proxy: device.deny of the real client refuses it though HAProxy is allowed") {
  Harness h(behind_haproxy({"--set", "device.deny=127.0.0.5"}));
  HaproxyProcess haproxy({{h.kited.device_port(), Header::v2}});
  TestDevice denied(through(h, "denied", haproxy.port(0), "127.0.0.5"));
  CHECK_THROWS(denied.connect_and_open(2'000));
  TestDevice allowed(through(h, "allowed", haproxy.port(0), "127.0.0.6"));
  allowed.connect_and_open();
  CHECK(h.http.device("allowed")["address"] == "127.0.0.6");
  CHECK(metric(h, R"(kite_connections_refused_total{port="device",reason="deny_list"})") == 1);
  CHECK(wait_log(h.kited, "connection.refused port=device ip=127.0.0.5 reason=deny_list"));
}

TEST_CASE("38.3 proxy: the per-IP cap counts the real client, not HAProxy") {
  Harness h(behind_haproxy({"--set", "device.max_connections_per_ip=2"}));
  HaproxyProcess haproxy({{h.kited.device_port(), Header::v2}});
  TestDevice first(through(h, "capped-1", haproxy.port(0), "127.0.0.5"));
  first.connect_and_open();
  TestDevice second(through(h, "capped-2", haproxy.port(0), "127.0.0.5"));
  second.connect_and_open();
  {
    RawSocket third(haproxy.port(0), "127.0.0.5");  // the third from 127.0.0.5
    REQUIRE(third.read_until_closed(kWait));
    auto goodbye = goodbye_in(third.received());
    REQUIRE(goodbye);
    CHECK(goodbye->reason == Reason::TooManyAttempts);
  }
  // The same HAProxy, a third connection from its address: another client, served.
  TestDevice other(through(h, "other-client", haproxy.port(0), "127.0.0.6"));
  other.connect_and_open();
  CHECK(metric(h, R"(kite_connections_refused_total{port="device",reason="per_ip_cap"})") == 1);
}

TEST_CASE("38.4 proxy: a PROXY header forged by a peer not in proxy_from is refused") {
  Harness h(behind_haproxy());
  RawSocket forger(h.kited.device_port(), "127.0.0.5");
  forger.send(bytes_of("PROXY TCP4 203.0.113.7 127.0.0.1 40000 7000\r\n"));
  REQUIRE(forger.read_until_closed(kWait));
  CHECK(forger.received().empty());  // told nothing
  CHECK(
      metric(h,
             R"(kite_connections_refused_total{port="device",reason="untrusted_proxy_header"})") ==
      1);
  CHECK(wait_log(h.kited,
                 "connection.refused port=device ip=127.0.0.5 reason=untrusted_proxy_header"));
  // Its own address stays an ordinary peer: a device from 127.0.0.5 without a header is served.
  auto options = h.device_options("direct");
  options.source_ip = "127.0.0.5";
  TestDevice direct(options);
  direct.connect_and_open();
  CHECK(h.http.device("direct")["address"] == "127.0.0.5");
}

TEST_CASE("38.5 proxy: a connection from a listed proxy without a header is refused and logged") {
  Harness h(behind_haproxy({"--set", "auth.handshake_timeout_ms=1000"}));
  // Straight from HAProxy's address, a Kite frame where the header should be.
  RawSocket no_header(h.kited.device_port(), HaproxyProcess::kSource);
  Bytes frame(protocol::kHeaderSize);
  protocol::write_header({protocol::limits::kHandshakeMaxBody + 1, 0, 0}, frame.data());
  no_header.send(frame);
  REQUIRE(no_header.read_until_closed(kWait));
  CHECK(no_header.received().empty());
  // And one that sends nothing: cut off at the handshake deadline.
  RawSocket silent(h.kited.device_port(), HaproxyProcess::kSource);
  const Millis start = now_ms();
  REQUIRE(silent.read_until_closed(kWait));
  CHECK(now_ms() - start >= 900);
  CHECK(metric(h, R"(kite_connections_refused_total{port="device",reason="proxy_header"})") == 2);
  CHECK(wait_log(h.kited,
                 "connection.refused port=device ip=127.0.0.9 reason=proxy_header "
                 "detail=\"no PROXY protocol header\""));
  CHECK(wait_log(h.kited, "within auth.handshake_timeout_ms"));
}

TEST_CASE("38.6 proxy: the admin port through HAProxy (v2) checks its allow list on the client") {
  // The harness's own admin client is 127.0.0.1, not a proxy: it stays allowed directly.
  Harness h({"--set", "admin.proxy_protocol=v2", "--set",
             std::string("admin.proxy_from=") + HaproxyProcess::kSource, "--set",
             "admin.allow=127.0.0.1,127.0.0.5"});
  HaproxyProcess haproxy({{h.kited.admin_port(), Header::v2}});
  CHECK(http_from(haproxy.port(0), "127.0.0.5").starts_with("HTTP/1.1 200"));
  // 127.0.0.6 is not allowed, nor is HAProxy's own 127.0.0.9: closed without an answer.
  CHECK(http_from(haproxy.port(0), "127.0.0.6").empty());
  CHECK(metric(h, R"(kite_connections_refused_total{port="admin",reason="not_allowed"})") == 1);
  CHECK(wait_log(h.kited, "connection.refused port=admin ip=127.0.0.6 reason=not_allowed"));
  // A forged header straight to the admin port from an unlisted address is refused too.
  RawSocket forger(h.kited.admin_port(), "127.0.0.5");
  forger.send(
      bytes_of("PROXY TCP4 127.0.0.1 127.0.0.1 40000 7080\r\nGET /healthz HTTP/1.1\r\n\r\n"));
  REQUIRE(forger.read_until_closed(kWait));
  CHECK(forger.received().empty());
  CHECK(metric(h,
               R"(kite_connections_refused_total{port="admin",reason="untrusted_proxy_header"})") ==
        1);
}

TEST_CASE("38.7 proxy: TLS passes through HAProxy; the ClientHello after the header is intact") {
  TlsPki pki("proxy");
  TlsHarness t(pki, "none", behind_haproxy());
  HaproxyProcess haproxy({{t.tls_port, Header::v2}});
  kite::tls::TlsSettings settings;
  settings.role = kite::tls::Role::Client;
  settings.ca_file = pki.ca.ca_file();
  settings.server_name = "127.0.0.1";
  auto context = kite::tls::TlsContext::create(settings);
  REQUIRE(context.context);
  TlsDevice device(context.context, "proxied-tls", haproxy.port(0), protocol::AuthMethod::Hmac,
                   "127.0.0.5");
  INFO("kited log:\n" << t.h.kited.log());
  REQUIRE(device.wait_open());
  CHECK(t.h.http.device("proxied-tls")["address"] == "127.0.0.5");
  CHECK(wait_log(t.h.kited, "tls.handshake ip=127.0.0.5"));
}

}  // namespace kite::it
