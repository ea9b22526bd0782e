// Bad input over a real socket: each case closes only that connection, with its reason code sent
// in an Error frame first, while another connected device (the bystander) keeps working.
#include <sys/socket.h>

#include <chrono>
#include <csignal>
#include <fstream>
#include <memory>
#include <thread>

#include "harness.h"
#include "kite/protocol/compression.h"
#include "kite/protocol/frame_codec.h"
#include "kite/protocol/limits.h"

namespace kite::it {
namespace {

constexpr std::uint32_t kMaxFrame = 262'144;  // kited's default session.max_frame

// A kited with one healthy device connected throughout.
struct BadInput : Harness {
  explicit BadInput(std::vector<std::string> extra = {})
      : Harness(std::move(extra)), bystander(device_options("bystander")) {
    bystander.connect_and_open();
  }

  // The bystander still gets messages (call after each bad case).
  void bystander_still_works(const std::string& label) {
    send_ok("bystander", "after " + label);
    auto message = bystander.next_message(kWait);
    REQUIRE(message);
    CHECK(message->payload == "after " + label);
    CHECK(bystander.is_open());
  }

  // Sends `bytes` on a fresh raw connection and returns kited's goodbye once it closes.
  PeerGoodbye raw_goodbye(const Bytes& bytes) {
    RawSocket raw(kited.device_port());
    raw.send(bytes);
    REQUIRE(raw.read_until_closed(kWait));
    auto goodbye = goodbye_in(raw.received());
    REQUIRE(goodbye);
    CHECK_FALSE(goodbye->goaway);
    return *goodbye;
  }

  TestDevice bystander;
};

Bytes header(std::uint32_t length, std::uint16_t flags = 0, std::uint16_t dictionary = 0) {
  Bytes out(protocol::kHeaderSize);
  protocol::write_header({length, flags, dictionary}, out.data());
  return out;
}

// The hello a client session sends first (for handshakes written by hand).
Bytes hello_bytes(const std::string& device) {
  struct Quiet : protocol::SessionHandler {
    void on_message(const protocol::IncomingMessage&) override {}
    void on_close(const protocol::CloseInfo&) override {}
  } quiet;
  protocol::Session session(protocol::Role::Client, protocol::SessionConfig{}, quiet, now_ms());
  protocol::ClientCredentials credentials;
  credentials.device_id = device;
  credentials.key = protocol::derive_device_key(master_key(), device);
  protocol::random_bytes(credentials.nonce);
  session.start(credentials, {}, now_ms());
  Bytes out;
  session.take_output(out);
  return out;
}

}  // namespace

TEST_CASE("04.1 bad input: garbage bytes close that connection with a framing reason") {
  BadInput h;
  std::string text = "GET / HTTP/1.1\r\nHost: kite\r\n\r\n";
  Bytes garbage(text.begin(), text.end());
  auto expected = local_decode_error(garbage, protocol::limits::kHandshakeMaxBody);
  REQUIRE(expected != Reason::None);
  CHECK(h.raw_goodbye(garbage).reason == expected);

  Bytes noise(4096);
  std::uint32_t x = 0x12345678;
  for (auto& b : noise) b = static_cast<std::uint8_t>((x = x * 1103515245u + 12345u) >> 24);
  auto expected_noise = local_decode_error(noise, protocol::limits::kHandshakeMaxBody);
  REQUIRE(expected_noise != Reason::None);
  CHECK(h.raw_goodbye(noise).reason == expected_noise);
  h.bystander_still_works("garbage");
}

TEST_CASE("04.2 bad input: an oversize length header closes with FrameTooLarge") {
  BadInput h;
  // Before the handshake: above the 8 KiB handshake limit.
  auto goodbye = h.raw_goodbye(header(protocol::limits::kHandshakeMaxBody + 1));
  CHECK(goodbye.reason == Reason::FrameTooLarge);
  h.bystander_still_works("oversize before auth");

  // After it: one byte above the negotiated maximum, and no body byte follows.
  TestDevice device(h.device_options("big-mouth"));
  device.connect_and_open();
  device.send_raw(header(kMaxFrame + 1));
  auto closed = device.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::FrameTooLarge);
  CHECK(closed->by_peer);
  CHECK(device.wait_socket_closed(kWait));
  h.bystander_still_works("oversize after auth");
}

TEST_CASE("04.3 bad input: one byte per 100 ms in the handshake ends in HandshakeTimeout") {
  BadInput h({"--set", "auth.handshake_timeout_ms=1000"});
  Bytes hello = hello_bytes("trickle-1");
  RawSocket raw(h.kited.device_port());
  Millis start = now_ms();
  std::size_t sent = 0;
  while (sent < hello.size() && now_ms() - start < 5'000) {
    if (!raw.send(std::span(hello).subspan(sent, 1))) break;
    ++sent;
    if (!raw.read_for(100)) break;  // paces the trickle; returns early if kited closes
  }
  CHECK(raw.read_until_closed(kWait));
  Millis elapsed = now_ms() - start;
  INFO("sent " << sent << " of " << hello.size() << " hello bytes in " << elapsed << " ms");
  CHECK(sent < hello.size());
  CHECK(elapsed >= 900);
  CHECK(elapsed <= 2'500);
  auto goodbye = goodbye_in(raw.received());
  REQUIRE(goodbye);
  CHECK(goodbye->reason == Reason::HandshakeTimeout);
  h.bystander_still_works("slow handshake");
}

TEST_CASE("04.4 bad input: unauthenticated connections beyond the per-IP cap get TooManyAttempts") {
  constexpr int kCap = 20, kExtra = 5;
  BadInput h({"--set", "auth.max_unauthenticated_per_ip=" + std::to_string(kCap)});
  std::vector<std::unique_ptr<RawSocket>> flood;
  for (int i = 0; i < kCap + kExtra; ++i)
    flood.push_back(std::make_unique<RawSocket>(h.kited.device_port(), "127.0.0.3"));

  auto refused = [&] {
    return static_cast<int>(
        std::count_if(flood.begin(), flood.end(), [](const auto& s) { return s->peer_closed(); }));
  };
  Millis deadline = now_ms() + kWait;
  while (refused() < kExtra && now_ms() < deadline)
    for (auto& s : flood)
      if (!s->peer_closed()) s->read_for(0);
  // Those admitted are not closed (they are still within their handshake time): one short look.
  int look = 50;
  for (auto& s : flood)
    if (!s->peer_closed()) {
      s->read_for(look);
      look = 0;
    }
  CHECK(refused() == kExtra);
  for (auto& s : flood) {
    if (!s->peer_closed()) {
      CHECK(s->received().empty());
      continue;
    }
    auto goodbye = goodbye_in(s->received());
    REQUIRE(goodbye);
    CHECK(goodbye->reason == Reason::TooManyAttempts);
  }
  h.bystander_still_works("flood");

  // Another address is not affected; once the flood goes, 127.0.0.3 is admitted again.
  auto options = h.device_options("from-elsewhere");
  options.source_ip = "127.0.0.4";
  TestDevice elsewhere(options);
  elsewhere.connect_and_open();
  flood.clear();
  options.id = "after-flood";
  options.source_ip = "127.0.0.3";
  TestDevice after(options);
  deadline = now_ms() + kWait;
  bool opened = false;
  while (!opened && now_ms() < deadline) {
    after.connect();
    opened = after.wait_open(kWait);
  }
  CHECK(opened);
}

TEST_CASE("04.5 bad input: a decompression bomb closes with DecompressionBomb") {
  BadInput h;
  // 1 MiB of zeros compresses to a few dozen bytes and announces 1 MiB > max_frame.
  const Bytes frame = compressed_frame(Bytes(1 << 20, 0));
  REQUIRE_FALSE(frame.empty());
  INFO("bomb frame: " << frame.size() << " bytes");
  REQUIRE(local_decode_error(frame, kMaxFrame) == Reason::DecompressionBomb);

  TestDevice device(h.device_options("bomber"));
  device.connect_and_open();
  device.send_raw(frame);
  auto closed = device.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::DecompressionBomb);
  CHECK(closed->by_peer);
  CHECK(device.wait_socket_closed(kWait));
  h.bystander_still_works("bomb");
}

TEST_CASE("04.6 bad input: a body that fails the FlatBuffers Verifier closes with InvalidBody") {
  BadInput h;
  Bytes body(40, 0xff);
  body[0] = 0x0c;  // a root offset inside the body, to tables that make no sense
  Bytes frame;
  protocol::append_raw_frame({static_cast<std::uint32_t>(body.size()), 0, 0}, body, frame);
  REQUIRE(local_decode_error(frame, kMaxFrame) == Reason::InvalidBody);

  // Before the handshake, on a raw connection...
  CHECK(h.raw_goodbye(frame).reason == Reason::InvalidBody);
  h.bystander_still_works("invalid body before auth");

  // ...and inside an open session.
  TestDevice device(h.device_options("scrambler"));
  device.connect_and_open();
  device.send_raw(frame);
  auto closed = device.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::InvalidBody);
  CHECK(closed->by_peer);
  CHECK(device.wait_socket_closed(kWait));
  h.bystander_still_works("invalid body after auth");
}

}  // namespace kite::it

namespace kite::it {

TEST_CASE("04.7 bad input: devices that reset with unread data while kited writes do not stop it") {
  BadInput h;
  // kited ignores SIGPIPE (else a write after a reset ends the process): bit 13 of SigIgn.
  std::ifstream status("/proc/" + std::to_string(h.kited.pid()) + "/status");
  std::string line, ignored_mask;
  while (std::getline(status, line))
    if (line.rfind("SigIgn:", 0) == 0) ignored_mask = line.substr(7);
  REQUIRE_FALSE(ignored_mask.empty());
  CHECK((std::stoull(ignored_mask, nullptr, 16) >> (SIGPIPE - 1) & 1) == 1);

  // Several rounds: a device stops reading, kited keeps writing to it, the device resets (RST,
  // its receive buffer unread) while more is sent to it.
  for (int round = 0; round < 5; ++round) {
    const std::string id = numbered("resetter", round);
    TestDevice device(h.device_options(id));
    device.connect_and_open();
    device.set_reading(false);
    for (int i = 0; i < 100; ++i) h.send_ok(id, std::string(512, 'x'));
    device.drop();
    for (int i = 0; i < 20; ++i) h.http.send(id, std::string(512, 'y'), 1);
  }
  REQUIRE(h.kited.alive());
  h.bystander_still_works("resets while writing");
}

}  // namespace kite::it

namespace kite::it {

TEST_CASE("04.8 bad input: an Error frame with a reason outside the list closes only that one") {
  BadInput h;
  for (std::uint16_t reason : {std::uint16_t{65535}, std::uint16_t{100}, std::uint16_t{63}}) {
    CAPTURE(reason);
    protocol::FrameEncoder encoder;
    auto& b = encoder.start();
    auto message = b.CreateString("peer says goodbye");
    Bytes frame;
    REQUIRE(encoder.finish(wire::CreateError(b, static_cast<wire::Reason>(reason), message, 0),
                           frame, kMaxFrame) > 0);
    RawSocket raw(h.kited.device_port());
    raw.send(frame);
    CHECK(raw.read_until_closed(kWait));
  }
  REQUIRE(h.kited.alive());
  auto metrics = h.http.request("GET", "/metrics");
  CHECK(metrics.status == 200);
  h.bystander_still_works("error frames with unknown reasons");
}

TEST_CASE("04.9 bad input: a device that sends pings and never reads the pongs is read no more") {
  // The uplink bucket would pause this device first (29.1); this case is about the write queue.
  BadInput h(
      {"--set", "session.uplink_rate_per_s=1000000", "--set", "session.uplink_burst=10000000"});
  auto options = h.device_options("deaf-pinger");
  options.rcvbuf = 4096;  // its socket holds few pongs
  TestDevice device(options);
  device.connect_and_open();
  device.set_silent(true);  // the session writes nothing more of its own
  device.set_reading(false);

  protocol::FrameEncoder encoder;
  Bytes ping;
  REQUIRE(encoder.finish(wire::CreatePing(encoder.start(), 1), ping, kMaxFrame) > 0);
  Bytes burst;
  for (int i = 0; i < 4096; ++i) burst.insert(burst.end(), ping.begin(), ping.end());

  // kited reads what the kernel buffers let through, then stops: sending stalls. Without the
  // stop it would read all 64 MiB and queue the pongs in memory.
  constexpr std::size_t kOffered = 64u << 20;
  std::size_t sent = 0;
  Millis last_progress = now_ms();
  while (sent < kOffered && now_ms() - last_progress < 1000) {
    const std::size_t at = sent % burst.size();  // a partial send is finished by the next one
    const ssize_t n =
        ::send(device.fd(), burst.data() + at, burst.size() - at, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      sent += static_cast<std::size_t>(n);
      last_progress = now_ms();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  INFO("bytes of pings kited's side took: " << sent);
  CHECK(sent < kOffered / 2);
  REQUIRE(h.kited.alive());
  auto metrics = h.http.request("GET", "/metrics");
  CHECK(metrics.body.find("\nkite_reading_blocked_total 1\n") != std::string::npos);
  h.bystander_still_works("a deaf pinger");
}

}  // namespace kite::it
