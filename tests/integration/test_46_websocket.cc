// kited's WebSocket listener (RFC 6455, subprotocol kite.v1): the same sessions as the device
// port in binary messages; upgrade requests refused with the status that names the fault;
// framing faults closed with the right code; the Kite reason in the Close code; pings answered
// without the session; and a device already connected unharmed by any of it.
#include <sodium.h>

#include <chrono>
#include <string>
#include <vector>

#include "cli_helpers.h"
#include "harness.h"
#include "kite/websocket/frame_reader.h"
#include "kite/websocket/frame_writer.h"
#include "raw_socket.h"

namespace kite::it {
namespace {

namespace ws = kite::websocket;

constexpr const char* kKey = "dGhlIHNhbXBsZSBub25jZQ==";  // RFC 6455's example key

// A kited with a ws:// listener on `port`, allowing one origin; `extra`: more arguments.
struct WebSocketNode {
  std::uint16_t port = free_port();
  Harness h;

  explicit WebSocketNode(std::vector<std::string> extra = {})
      : h([&] {
          std::vector<std::string> args = {
              "--set", "websocket.listen=127.0.0.1:" + std::to_string(port),
              "--set", "websocket.path=/kite",
              "--set", "websocket.origins=https://app.example"};
          args.insert(args.end(), extra.begin(), extra.end());
          return args;
        }()) {}

  DeviceOptions device(const std::string& id) {
    DeviceOptions options = h.device_options(id);
    options.port = port;
    options.websocket_path = "/kite";
    return options;
  }
};

std::string upgrade_request(const std::vector<std::string>& lines,
                            const std::string& request_line = "GET /kite HTTP/1.1") {
  std::string request = request_line + "\r\nHost: 127.0.0.1\r\n";
  for (const auto& line : lines) request += line + "\r\n";
  return request + "\r\n";
}

const std::vector<std::string> kGoodHeaders = {
    "Upgrade: websocket", "Connection: Upgrade", std::string("Sec-WebSocket-Key: ") + kKey,
    "Sec-WebSocket-Version: 13", "Sec-WebSocket-Protocol: kite.v1"};

std::vector<std::string> with(std::vector<std::string> lines, const std::string& replaced,
                              const std::string& line) {
  for (auto& l : lines)
    if (l.starts_with(replaced)) l = line;
  if (std::find(lines.begin(), lines.end(), line) == lines.end() && !line.empty())
    lines.push_back(line);
  return lines;
}

std::string text_of(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// What kited answers `request` with: its status line, and whether it then closed.
std::string answer_to(std::uint16_t port, const std::string& request, bool* closed = nullptr) {
  RawSocket socket(port);
  socket.send({reinterpret_cast<const std::uint8_t*>(request.data()), request.size()});
  const bool ended = socket.read_until_closed(kWait);
  if (closed) *closed = ended;
  return text_of(socket.received());
}

// Reads the frames kited sends after a 101, as a client would; collects the Close code.
struct ClientFrames : ws::FrameSink {
  std::uint16_t close_code = 0;
  std::string close_reason;
  Bytes binary, pongs;
  void on_binary(std::span<std::uint8_t> payload) override {
    binary.insert(binary.end(), payload.begin(), payload.end());
  }
  void on_ping(std::span<const std::uint8_t>) override {}
  void on_pong(std::span<const std::uint8_t> payload) override {
    pongs.insert(pongs.end(), payload.begin(), payload.end());
  }
  void on_close(std::uint16_t code, std::string_view reason) override {
    close_code = code;
    close_reason = reason;
  }
};

// An upgraded raw connection: sends `frames` (written by hand) and returns what kited's frames
// after the 101 said.
ClientFrames after_upgrade(std::uint16_t port, const Bytes& frames, bool wait_for_close = true) {
  RawSocket socket(port);
  const std::string request = upgrade_request(kGoodHeaders);
  socket.send({reinterpret_cast<const std::uint8_t*>(request.data()), request.size()});
  socket.read_for(500);
  const std::string head = text_of(socket.received());
  REQUIRE(head.starts_with("HTTP/1.1 101"));
  const std::size_t head_end = head.find("\r\n\r\n") + 4;
  socket.send(frames);
  if (wait_for_close)
    CHECK(socket.read_until_closed(kWait));
  else
    socket.read_for(500);
  Bytes rest(socket.received().begin() + static_cast<std::ptrdiff_t>(head_end),
             socket.received().end());
  ClientFrames seen;
  ws::FrameReader reader(ws::Side::Client);
  CHECK_FALSE(reader.read(rest, seen));
  return seen;
}

Bytes client_frame(ws::Opcode opcode, const std::string& payload) {
  Bytes out;
  ws::append_frame(ws::Side::Client, opcode,
                   {reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size()}, out);
  return out;
}

// The device connected before the faults still gets what is sent to it.
void check_unharmed(WebSocketNode& node, TestDevice& bystander, const std::string& text) {
  node.h.send_ok(bystander.options().id, text);
  const auto message = bystander.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == text);
}

// The HTTP fallback's stream (docs/protocol.md 1.2) on a raw socket: its head and its tunnel's
// name.
struct RawTunnel {
  RawSocket socket;
  std::string head, name;

  RawTunnel(std::uint16_t port, const std::string& origin) : socket(port) {
    const std::string request =
        "GET /kite/sse HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: " + origin + "\r\n\r\n";
    socket.send({reinterpret_cast<const std::uint8_t*>(request.data()), request.size()});
    socket.read_for(500);
    const std::string text = text_of(socket.received());
    head = text.substr(0, text.find("\r\n\r\n"));
    if (const auto at = text.find("event: tunnel\ndata: "); at != std::string::npos)
      name = text.substr(at + 20, 32);
  }

  // Once the stream closed: the session's bytes it carried (base64 decoded) and the data of its
  // close event.
  std::pair<Bytes, std::string> until_closed() {
    CHECK(socket.read_until_closed(kWait));
    const std::string text = text_of(socket.received());
    Bytes bytes;
    std::string close;
    for (std::size_t at = text.find("\r\n\r\n") + 4, end;
         (end = text.find("\n\n", at)) != std::string::npos; at = end + 2) {
      const std::string event = text.substr(at, end - at);
      if (event.starts_with("event: close\ndata: ")) close = event.substr(19);
      if (!event.starts_with("data: ")) continue;
      Bytes decoded(event.size());
      std::size_t length = 0;
      REQUIRE(sodium_base642bin(decoded.data(), decoded.size(), event.data() + 6, event.size() - 6,
                                nullptr, &length, nullptr, sodium_base64_VARIANT_ORIGINAL) == 0);
      bytes.insert(bytes.end(), decoded.begin(), decoded.begin() + length);
    }
    return {bytes, close};
  }
};

// POSTs `body` into tunnel `name` at `offset`, from a page of https://app.example: kited's answer.
// `kind`: "sse" for a streamed tunnel, "poll" for a polled one.
std::string post_uplink(std::uint16_t port, const std::string& name, std::size_t offset,
                        std::span<const std::uint8_t> body, const std::string& kind = "sse") {
  return answer_to(port, "POST /kite/" + kind + "/" + name + "?at=" + std::to_string(offset) +
                             " HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: https://app.example\r\n"
                             "Content-Length: " +
                             std::to_string(body.size()) + "\r\n\r\n" +
                             std::string(body.begin(), body.end()));
}

std::string poll_request(const std::string& name, std::size_t from) {
  return "GET /kite/poll/" + name + "?from=" + std::to_string(from) +
         " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
}

std::string body_of(const std::string& answer) {
  const std::size_t at = answer.find("\r\n\r\n");
  return at == std::string::npos ? std::string() : answer.substr(at + 4);
}

// 16 bytes a session refuses (a header announcing an 8-byte body of an unknown message), and
// how it refuses them over TCP, to compare with a tunnel's answer.
struct Garbage {
  Bytes bytes = [] {
    Bytes garbage(16, 0);
    garbage[0] = 8;
    return garbage;
  }();
  protocol::Reason over_tcp = protocol::Reason::None;

  explicit Garbage(std::uint16_t device_port) {
    RawSocket tcp(device_port);
    tcp.send(bytes);
    tcp.read_until_closed(kWait);
    const auto goodbye = goodbye_in(tcp.received());
    REQUIRE(goodbye);
    over_tcp = goodbye->reason;
  }
};

}  // namespace

TEST_CASE("46.1 websocket: a device over ws:// receives, acknowledges and answers a command") {
  WebSocketNode node;
  TestDevice device(node.device("web-1"));
  device.connect_and_open();
  for (int i = 0; i < 20; ++i) node.h.send_ok("web-1", numbered("w", i));
  const auto messages = device.take_messages(20, kWait);
  REQUIRE(messages.size() == 20);
  for (int i = 0; i < 20; ++i) CHECK(messages[i].payload == numbered("w", i));
  const auto info =
      node.h.wait_device("web-1", [](const auto& body) { return body["queued"] == 0; }, {&device});
  CHECK(info["acked_through"] == 20);
  const HttpResponse answer =
      command_answered(node.h.http, device, "web-1",
                       {{"name", "blink"}, {"payload", "twice"}, {"timeout_ms", 5000}});
  INFO(answer.body);
  REQUIRE(answer.status == 200);
  CHECK(answer.json()["payload"] == "blink:twice");
  // The same device id over TCP takes over: the WebSocket one hears Replaced, in its Close too.
  TestDevice over_tcp(node.h.device_options("web-1"));
  over_tcp.connect_and_open();
  const auto closed = device.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::Replaced);
  device.wait_socket_closed(kWait);
  CHECK(device.websocket_end() == "the peer closed the WebSocket (code 4061)");
}

TEST_CASE(
    "46.2 websocket: upgrade requests kited refuses, each with its status; a device "
    "already connected is unharmed") {
  WebSocketNode node;
  TestDevice bystander(node.device("bystander"));
  bystander.connect_and_open();
  struct Case {
    const char* what;
    std::string request;
    const char* status;
  };
  const std::string big(9000, 'x');
  const std::vector<Case> cases = {
      {"a bad key",
       upgrade_request(with(kGoodHeaders, "Sec-WebSocket-Key", "Sec-WebSocket-Key: abc")), "400"},
      {"version 8",
       upgrade_request(with(kGoodHeaders, "Sec-WebSocket-Version", "Sec-WebSocket-Version: 8")),
       "426"},
      {"an origin not allowed",
       upgrade_request(with(kGoodHeaders, "Origin", "Origin: https://evil.example")), "403"},
      {"no kite.v1",
       upgrade_request(
           with(kGoodHeaders, "Sec-WebSocket-Protocol", "Sec-WebSocket-Protocol: mqtt")),
       "400"},
      {"another path", upgrade_request(kGoodHeaders, "GET /other HTTP/1.1"), "404"},
      {"a POST", upgrade_request(kGoodHeaders, "POST /kite HTTP/1.1"), "405"},
      {"no upgrade", upgrade_request({}), "426"},
      {"a head above 8 KiB", upgrade_request(with(kGoodHeaders, "X-Big", "X-Big: " + big)), "431"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    bool closed = false;
    const std::string answer = answer_to(node.port, c.request, &closed);
    CHECK(answer.starts_with(std::string("HTTP/1.1 ") + c.status));
    CHECK(answer.find("application/problem+json") != std::string::npos);
    CHECK(closed);
  }
  CHECK(answer_to(node.port, upgrade_request(with(kGoodHeaders, "Sec-WebSocket-Version",
                                                  "Sec-WebSocket-Version: 8")))
            .find("Sec-WebSocket-Version: 13") != std::string::npos);
  // The allowed origin, and none at all (a device), are let in.
  const std::string allowed = answer_to(
      node.port, upgrade_request(with(kGoodHeaders, "Origin", "Origin: https://app.example")));
  INFO(allowed);
  CHECK(allowed.starts_with("HTTP/1.1 101"));
  check_unharmed(node, bystander, "still here");
}

TEST_CASE(
    "46.3 websocket: framing faults close with their code; pings are answered; fragments "
    "are one stream") {
  WebSocketNode node;
  TestDevice bystander(node.device("bystander-3"));
  bystander.connect_and_open();
  struct Case {
    const char* what;
    Bytes frames;
    std::uint16_t code;
  };
  Bytes unmasked;
  ws::append_frame(ws::Side::Server, ws::Opcode::Binary, std::vector<std::uint8_t>{1, 2, 3},
                   unmasked);
  Bytes reserved = client_frame(ws::Opcode::Binary, "x");
  reserved[0] |= 0x40;
  Bytes fragmented_ping = client_frame(ws::Opcode::Ping, "p");
  fragmented_ping[0] &= 0x7F;
  Bytes unknown = client_frame(ws::Opcode::Binary, "x");
  unknown[0] = static_cast<std::uint8_t>((unknown[0] & 0xF0) | 0x3);
  const std::vector<Case> cases = {
      {"a text message", client_frame(ws::Opcode::Text, "hello"), 1003},
      {"an unmasked frame", unmasked, 1002},
      {"reserved bits", reserved, 1002},
      {"a fragmented ping", fragmented_ping, 1002},
      {"a continuation outside a message", client_frame(ws::Opcode::Continuation, "x"), 1002},
      {"a ping above 125 bytes", client_frame(ws::Opcode::Ping, std::string(126, 'p')), 1002},
      {"an unknown opcode", unknown, 1002},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    CHECK(after_upgrade(node.port, c.frames).close_code == c.code);
  }
  // A ping is answered with its payload, and the peer's Close with the same code.
  Bytes ping_then_close = client_frame(ws::Opcode::Ping, "are you there");
  ws::append_close(ws::Side::Client, 1000, "bye", ping_then_close);
  const ClientFrames answered = after_upgrade(node.port, ping_then_close);
  CHECK(text_of(answered.pongs) == "are you there");
  CHECK(answered.close_code == 1000);
  // A Kite frame that is not a Hello, split across a fragmented message with a ping between:
  // the session sees one stream and refuses it as it would over TCP (UnexpectedMessage).
  TestDevice reference(node.h.device_options("split"));
  Bytes garbage(16, 0);
  garbage[0] = 8;  // a header announcing an 8-byte body of an unknown message
  Bytes split;
  ws::append_frame(ws::Side::Client, ws::Opcode::Binary, std::span(garbage).first(5), split);
  split[0] &= 0x7F;  // not the last fragment
  const Bytes ping = client_frame(ws::Opcode::Ping, "mid");
  split.insert(split.end(), ping.begin(), ping.end());
  ws::append_frame(ws::Side::Client, ws::Opcode::Continuation, std::span(garbage).subspan(5),
                   split);
  const ClientFrames refused = after_upgrade(node.port, split);
  CHECK(text_of(refused.pongs) == "mid");
  const auto goodbye = goodbye_in(refused.binary);
  REQUIRE(goodbye);
  CHECK(refused.close_code == ws::close_code_for(goodbye->reason));
  CHECK(refused.close_code >= 4000);
  check_unharmed(node, bystander, "unharmed");
}

TEST_CASE("46.4 websocket: kite listen --ws prints what is sent; kite bench conn --ws connects") {
  WebSocketNode node;
  std::vector<std::string> args = {"listen",         "--port", std::to_string(node.port),
                                   "--id",           "ws-ear", "--master-key",
                                   master_key_hex(), "-C",     "2",
                                   "--ws",           "/kite"};
  KiteChild listen(args);
  require_online(node.h, "ws-ear", listen);
  node.h.send_ok("ws-ear", "first");
  node.h.send_ok("ws-ear", "second");
  auto done = listen.wait(kWait);
  INFO("stdout: " << done.out << "\nstderr: " << done.err);
  CHECK(done.exit_code == 0);
  CHECK(lines_of(done.out) == std::vector<std::string>{"first", "second"});
  const auto bench =
      run_kite({"bench", "conn", "--port", std::to_string(node.port), "--ws", "/kite",
                "--master-key", master_key_hex(), "--devices", "50", "--json"});
  INFO("kite bench: " << bench.out << bench.err);
  REQUIRE(bench.exit_code == 0);
  CHECK(nlohmann::json::parse(bench.out)["connections"] == 50);
}

TEST_CASE(
    "46.5 websocket: the HTTP fallback's tunnel: a stream down, POSTs up across workers, a "
    "POST sent again skipped, a gap refused") {
  WebSocketNode node;  // 2 workers: a POST lands on the tunnel's worker or the other one
  TestDevice bystander(node.device("bystander-5"));
  bystander.connect_and_open();
  const Garbage refused(node.h.kited.device_port());
  const Bytes& garbage = refused.bytes;

  RawTunnel tunnel(node.port, "https://app.example");
  INFO(tunnel.head);
  CHECK(tunnel.head.starts_with("HTTP/1.1 200"));
  CHECK(tunnel.head.find("Content-Type: text/event-stream") != std::string::npos);
  CHECK(tunnel.head.find("Access-Control-Allow-Origin: https://app.example") != std::string::npos);
  REQUIRE(tunnel.name.size() == 32);
  const std::string first = post_uplink(node.port, tunnel.name, 0, std::span(garbage).first(5));
  CHECK(first.starts_with("HTTP/1.1 204"));
  CHECK(first.find("Access-Control-Allow-Origin: https://app.example") != std::string::npos);
  CHECK(post_uplink(node.port, tunnel.name, 0, std::span(garbage).first(5))
            .starts_with("HTTP/1.1 204"));  // sent again: kited skips what it has
  CHECK(post_uplink(node.port, tunnel.name, 5, std::span(garbage).subspan(5))
            .starts_with("HTTP/1.1 204"));
  const auto [downlink, close] = tunnel.until_closed();
  const auto goodbye = goodbye_in(downlink);
  REQUIRE(goodbye);
  CHECK(goodbye->reason == refused.over_tcp);  // the same 16 bytes reached the session, once
  CHECK(close == std::to_string(static_cast<int>(goodbye->reason)) + " " +
                     std::string(protocol::reason_name(goodbye->reason)));
  const std::string after_end =
      post_uplink(node.port, tunnel.name, 16, std::span(garbage).first(1));
  CHECK(after_end.starts_with("HTTP/1.1 404"));  // the tunnel ended with its stream
  CHECK(after_end.find("application/problem+json") != std::string::npos);

  // A POST beyond what arrived would leave a hole in the stream: 409, and the session ends
  // (TruncatedFrame: bytes of the stream are missing).
  RawTunnel gap(node.port, "https://app.example");
  REQUIRE(gap.name.size() == 32);
  CHECK(
      post_uplink(node.port, gap.name, 5, std::span(garbage).first(3)).starts_with("HTTP/1.1 409"));
  CHECK(gap.until_closed().second.ends_with(" TruncatedFrame"));
  // The right connection with the wrong secret is not the tunnel.
  RawTunnel guessed(node.port, "https://app.example");
  REQUIRE(guessed.name.size() == 32);
  CHECK(post_uplink(node.port, guessed.name.substr(0, 16) + std::string(16, '0'), 0,
                    std::span(garbage).first(1))
            .starts_with("HTTP/1.1 404"));
  check_unharmed(node, bystander, "after the tunnels");
}

TEST_CASE(
    "46.6 websocket: the HTTP fallback's polled tunnel: a waiting poll gets the session's bytes, "
    "the same poll gets them again, then 410 and the tunnel is gone") {
  // 2 workers: polls and POSTs land on either. A 2 s handshake deadline: a poll with nothing to
  // take is answered empty after 1.5 s, before its own connection's deadline.
  WebSocketNode node({"--set", "auth.handshake_timeout_ms=2000"});
  TestDevice bystander(node.device("bystander-6"));
  bystander.connect_and_open();
  const Garbage refused(node.h.kited.device_port());
  const Bytes& garbage = refused.bytes;

  const auto open_tunnel = [&] {
    const std::string opened = answer_to(node.port, "GET /kite/poll HTTP/1.1\r\nHost: k\r\n\r\n");
    INFO(opened);
    REQUIRE(opened.starts_with("HTTP/1.1 200"));
    REQUIRE(body_of(opened).size() == 33);  // 32 hex digits and a newline
    return body_of(opened).substr(0, 32);
  };
  // A poll with nothing to take is answered empty once its wait is over, not cut off.
  const auto before = std::chrono::steady_clock::now();
  const std::string empty = answer_to(node.port, poll_request(open_tunnel(), 0));
  const auto waited = std::chrono::steady_clock::now() - before;
  INFO(empty);
  CHECK(empty.starts_with("HTTP/1.1 200"));
  CHECK(body_of(empty).empty());
  CHECK(waited >= std::chrono::milliseconds(1200));
  // Another tunnel (this one's session is at its own 2 s handshake deadline by now). A poll sent
  // before there is anything to take waits for it.
  const std::string name = open_tunnel();
  RawSocket waiting(node.port);
  const std::string poll = poll_request(name, 0);
  waiting.send({reinterpret_cast<const std::uint8_t*>(poll.data()), poll.size()});
  CHECK(waiting.read_for(300));  // still open: the poll waits
  CHECK(waiting.received().empty());
  CHECK(post_uplink(node.port, name, 0, std::span(garbage).first(5), "poll")
            .starts_with("HTTP/1.1 204"));
  CHECK(post_uplink(node.port, name, 0, std::span(garbage).first(5), "poll")
            .starts_with("HTTP/1.1 204"));  // sent again: skipped
  CHECK(post_uplink(node.port, name, 5, std::span(garbage).subspan(5), "poll")
            .starts_with("HTTP/1.1 204"));
  CHECK(waiting.read_until_closed(kWait));
  const std::string answer = text_of(waiting.received());
  INFO(answer);
  CHECK(answer.starts_with("HTTP/1.1 200"));
  const std::string downlink = body_of(answer);
  const auto goodbye =
      goodbye_in({reinterpret_cast<const std::uint8_t*>(downlink.data()), downlink.size()});
  REQUIRE(goodbye);
  CHECK(goodbye->reason == refused.over_tcp);  // the same 16 bytes reached the session, once
  // An answer lost on the way is fetched again: the bytes stay until a poll moves past them.
  CHECK(body_of(answer_to(node.port, poll_request(name, 0))) == downlink);
  CHECK(answer_to(node.port, poll_request(name, downlink.size() + 1)).starts_with("HTTP/1.1 409"));
  CHECK(answer_to(node.port, poll_request(name, downlink.size())).starts_with("HTTP/1.1 410"));
  CHECK(answer_to(node.port, poll_request(name, downlink.size())).starts_with("HTTP/1.1 404"));
  check_unharmed(node, bystander, "after the polled tunnel");
}

}  // namespace kite::it
