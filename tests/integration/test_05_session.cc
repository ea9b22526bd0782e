// Session life: keep-alive expiry frees a silent connection.
#include "harness.h"

namespace kite::it {

TEST_CASE("05.1 session: a device silent past 1.5 keep-alive intervals is closed") {
  Harness h({"--set", "session.min_keepalive_ms=1000"});
  auto options = h.device_options("quiet-1");
  options.keepalive_ms = 1000;
  TestDevice device(options);
  device.connect_and_open();
  Millis start = now_ms();
  device.set_silent(true);  // no pings, no pongs, no acks from now on
  REQUIRE(device.wait_socket_closed(kWait));
  Millis elapsed = now_ms() - start;
  INFO("closed after " << elapsed << " ms of silence");
  CHECK(elapsed >= 1'000);
  CHECK(elapsed <= 2'500);  // 1.5 s + a wheel tick + scheduling (sanitizer builds too)
  if (device.closed()) CHECK(device.closed()->reason == Reason::KeepaliveTimeout);
  auto info = h.wait_device("quiet-1", [](const auto& b) { return b["online"] == false; });
  CHECK(info["online"] == false);
}

TEST_CASE("05.2 session: a device that keeps pinging stays open past its keep-alive timeout") {
  Harness h({"--set", "session.min_keepalive_ms=1000"});
  auto options = h.device_options("chatty-1");
  options.keepalive_ms = 1000;
  TestDevice device(options);
  device.connect_and_open();
  device.pump_until(now_ms() + 2'500, [&] { return device.closed().has_value(); });
  CHECK_FALSE(device.closed().has_value());
  h.send_ok("chatty-1", "awake");
  auto message = device.next_message(kWait);
  REQUIRE(message);
  CHECK(message->payload == "awake");
}

}  // namespace kite::it
