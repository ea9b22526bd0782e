// Authentication over a real socket: accepted, refused, revoked while connected.
#include <signal.h>

#include <fstream>

#include "harness.h"
#include "kite/protocol/token.h"
#include "revocation_file.h"

namespace kite::it {

TEST_CASE("01.1 auth: a device with the derived key is accepted and shows online") {
  Harness h;
  TestDevice device(h.device_options("thermostat-1"));
  device.connect_and_open();
  CHECK_FALSE(device.resumed());

  auto info = h.wait_device("thermostat-1", [](const auto& b) { return b["online"] == true; });
  CHECK(info["online"] == true);
  CHECK(info["address"] == "127.0.0.1");
  CHECK(info.contains("since_ms"));
  CHECK(info["tls"] == false);

  h.send_ok("thermostat-1", "hello");
  auto message = device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "hello");
  CHECK(message->seq == 1);
}

TEST_CASE("01.2 auth: a wrong key is refused with AuthFailed") {
  Harness h;
  auto options = h.device_options("thermostat-2");
  std::vector<std::uint8_t> other_master(32, 0x77);
  options.key = protocol::derive_device_key(other_master, "thermostat-2");
  TestDevice device(options);
  device.connect();
  auto closed = device.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::AuthFailed);
  CHECK(closed->by_peer);
  CHECK_FALSE(device.was_opened());
  CHECK(device.wait_socket_closed(kWait));
  CHECK(h.http.device("thermostat-2")["online"] == false);
}

TEST_CASE("01.3 auth: a signed token is accepted, a token for another device is refused") {
  std::vector<std::uint8_t> token_key(32, 0x33);
  const std::string hex(64, '3');
  Harness h({"--set", "auth.token_key=" + hex, "--set", "auth.failed_auth_backoff_base_ms=0"});
  auto now_s = static_cast<std::uint64_t>(std::time(nullptr));

  auto options = h.device_options("player-1");
  options.method = protocol::AuthMethod::Token;
  options.token = protocol::mint_token(token_key, {"player-1", {"room-9"}, now_s, now_s + 600});
  TestDevice player(options);
  player.connect_and_open();
  h.send_ok("player-1", "state");
  auto message = player.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "state");

  options.id = "player-2";  // presents player-1's token
  TestDevice impostor(options);
  impostor.connect();
  auto closed = impostor.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::AuthFailed);
  CHECK(closed->by_peer);
}

TEST_CASE("01.4 auth: revoked while connected (SIGHUP) is closed with Revoked, then refused") {
  RevocationFile revocations;
  revocations.revoke("someone-else");
  Harness h(revocations.kited_args());

  TestDevice device(h.device_options("camera-7")), other(h.device_options("camera-8"));
  device.connect_and_open();
  other.connect_and_open();

  revocations.revoke("camera-7");
  h.kited.signal(SIGHUP);

  auto closed = device.wait_closed(kWait);
  REQUIRE(closed);
  CHECK(closed->reason == Reason::Revoked);
  CHECK(closed->by_peer);
  CHECK_FALSE(protocol::reconnect_allowed(closed->reason));
  CHECK(device.wait_socket_closed(kWait));

  TestDevice again(h.device_options("camera-7"));
  again.connect();
  auto refused = again.wait_closed(kWait);
  REQUIRE(refused);
  CHECK(refused->reason == Reason::Revoked);
  CHECK_FALSE(again.was_opened());

  // The reload touched only camera-7.
  CHECK(other.is_open());
  h.send_ok("camera-8", "still here");
  auto message = other.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "still here");
}

TEST_CASE("01.5 auth: revoked between its hello and its proof, a device is refused, not let in") {
  RevocationFile revocations;
  Harness h(revocations.kited_args());

  TestDevice witness(h.device_options("camera-9"));
  witness.connect_and_open();
  TestDevice device(h.device_options("camera-7"));
  device.connect();         // the hello is sent
  device.set_silent(true);  // the proof for the challenge is held back
  device.pump_until(now_ms() + 300, [] { return false; });
  REQUIRE_FALSE(device.wait_closed(0));

  revocations.revoke("camera-7");
  revocations.revoke("camera-9");
  h.kited.signal(SIGHUP);
  auto kicked = witness.wait_closed(kWait);  // the reload is done once the witness is kicked
  REQUIRE(kicked);
  CHECK(kicked->reason == Reason::Revoked);

  device.set_silent(false);  // now the proof goes
  auto refused = device.wait_closed(kWait);
  REQUIRE(refused);
  CHECK(refused->reason == Reason::Revoked);
  CHECK_FALSE(device.was_opened());
}

}  // namespace kite::it
