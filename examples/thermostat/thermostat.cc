// thermostat: a device built on kite::Client, the client running on a thread of its own.
//
// Every --interval ms it sends a reading on topic "telemetry":
//   {"celsius":20.4,"target":21.0,"heating":true}
// The room is simulated: the heater warms it while it is on, and it cools down otherwise; the
// thermostat switches the heater around the target, so the temperature drifts toward it.
//
// It answers one command, `set_target`, whose payload is the new target in degrees Celsius
// (5 to 30): the reply is status 0 with the new state, {"target":23.5,"heating":true}; anything
// else is status 400 with a sentence saying why, and other commands get 404. After every change
// of that state (a new target, the heater switching on or off) it sends it on topic "state".
//
//   thermostat --id thermostat-1 --key HEX [--host 127.0.0.1] [--port 7000] [--interval 2000]
//   thermostat --id thermostat-1 --token TOKEN ...
//
// The key is what `kite keys derive` prints for the device id (see examples/README.md).
// Connection changes go to stderr. SIGINT or SIGTERM stops it cleanly (exit 0); it exits 1
// when the server ends the device for good (replaced, revoked, credentials refused).
#include <kite/client.h>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <string_view>

namespace {

constexpr double kMinTarget = 5.0, kMaxTarget = 30.0;

// The simulated room and its heater. The main thread steps it; the client's thread changes the
// target (a command): a mutex guards it.
class Room {
 public:
  // One time step. Returns true when the heater switched on or off (a change of state).
  bool step() {
    std::lock_guard lock(mutex_);
    celsius_ += heating_ ? 0.25 : -0.1;  // the heater warms the room; without it, it cools
    return regulate();
  }

  // A new target; returns the new state as JSON.
  std::string set_target(double target) {
    std::lock_guard lock(mutex_);
    target_ = target;
    regulate();
    return state_json();
  }

  std::string telemetry_json() {
    std::lock_guard lock(mutex_);
    char text[96];
    std::snprintf(text, sizeof text, R"({"celsius":%.1f,"target":%.1f,"heating":%s})", celsius_,
                  target_, heating_ ? "true" : "false");
    return text;
  }

  std::string state() {
    std::lock_guard lock(mutex_);
    return state_json();
  }

 private:
  // Heater on below the target, off a little above it (hysteresis: no flapping).
  bool regulate() {
    const bool heating = heating_ ? celsius_ < target_ + 0.2 : celsius_ < target_ - 0.2;
    if (heating == heating_) return false;
    heating_ = heating;
    return true;
  }

  std::string state_json() const {
    char text[64];
    std::snprintf(text, sizeof text, R"({"target":%.1f,"heating":%s})", target_,
                  heating_ ? "true" : "false");
    return text;
  }

  std::mutex mutex_;
  double celsius_ = 19.0;
  double target_ = 21.0;
  bool heating_ = false;
};

// Sends a message; the SDK queues it while offline and resends it until the server confirms it.
void send(kite::Client& client, std::string_view topic, const std::string& json) {
  // Readings older than a minute are not worth sending after an outage: ttl_ms drops them.
  const std::uint32_t ttl_ms = topic == "telemetry" ? 60'000 : 0;
  kite::Error e = client.publish({.payload = json, .topic = topic, .ttl_ms = ttl_ms});
  if (e != kite::Error::Ok)  // e.g. QueueFull after a long time offline
    std::fprintf(stderr, "thermostat: %.*s not sent: %s\n", int(topic.size()), topic.data(),
                 kite::describe(e).data());
}

// The client's thread hands work to the main thread: it sets a flag and sends SIGUSR1, which
// ends the main thread's sigtimedwait(). The main thread alone sends "state", so the reports
// go out in the order of the changes (two threads publishing could swap them).
std::atomic<bool> state_changed{false};

void wake_main_thread() {
  kill(getpid(), SIGUSR1);  // blocked in every thread: only sigtimedwait() takes it
}

// set_target's payload must be a number, all of it, in the range.
kite::Reply set_target(Room& room, std::string_view payload) {
  double target = 0;
  auto [end, error] = std::from_chars(payload.data(), payload.data() + payload.size(), target);
  if (error != std::errc() || end != payload.data() + payload.size() ||
      !(target >= kMinTarget && target <= kMaxTarget)) {  // also refuses nan
    const std::string got(payload.substr(0, 32));
    return {400, "set_target wants degrees Celsius from 5 to 30, e.g. 21.5; got \"" + got + "\""};
  }
  std::string state = room.set_target(target);
  std::fprintf(stderr, "thermostat: target set to %.1f\n", target);
  state_changed = true;
  wake_main_thread();
  return {0, state};  // the reply carries the new state
}

void print_state(const kite::StateChange& s) {
  std::string line = "thermostat: " + std::string(kite::describe(s.state));
  if (!s.reason.empty()) line += ": " + std::string(s.reason);
  if (!s.detail.empty()) line += " (" + std::string(s.detail) + ")";
  if (s.state == kite::State::Connected && s.resumed) line += " (session resumed)";
  if (s.state == kite::State::Disconnected)
    line += "; retrying in " + std::to_string(s.retry_in_ms) + " ms";
  std::fprintf(stderr, "%s\n", line.c_str());
}

struct Args {
  kite::ClientOptions client;
  long interval_ms = 2000;
};

bool parse(int argc, char** argv, Args& args) {
  if (argc % 2 != 1) return false;  // --flag value pairs
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--host")
      args.client.host = value;
    else if (flag == "--port")
      args.client.port = static_cast<std::uint16_t>(std::atoi(value));
    else if (flag == "--id")
      args.client.device_id = value;
    else if (flag == "--key")
      args.client.key = value;
    else if (flag == "--token")
      args.client.token = value;
    else if (flag == "--interval")
      args.interval_ms = std::atol(value);
    else
      return false;
  }
  return args.client.port != 0 && args.interval_ms > 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: thermostat --id ID (--key HEX | --token TOKEN) [--host 127.0.0.1] "
                 "[--port 7000] [--interval MS]\n");
    return 2;
  }

  // Signals are taken by the main thread with sigtimedwait(), so they are blocked before the
  // client starts its thread (threads inherit the mask). SIGUSR1: news from the client's thread.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGINT, SIGTERM, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  args.client.agent = "kite-example-thermostat/0.1";  // shown by GET /v1/devices/{id}
  Room room;
  kite::Client client(args.client);  // the client's own thread starts with start()

  // Callbacks run on the client's thread.
  client.on_command([&](const kite::Command& c) -> kite::Reply {
    if (c.name == "set_target") return set_target(room, c.payload);
    return {404, "unknown command " + std::string(c.name) + "; this thermostat knows set_target"};
  });
  client.on_message([](const kite::Message& m) {  // returning acknowledges the message
    std::fprintf(stderr, "thermostat: message on \"%.*s\": %.*s\n", int(m.topic.size()),
                 m.topic.data(), int(m.payload.size()), m.payload.data());
  });
  client.on_state([](const kite::StateChange& s) {
    print_state(s);
    if (s.state == kite::State::Replaced || s.state == kite::State::Revoked ||
        (s.state == kite::State::Stopped && s.reason != "Stopped"))
      wake_main_thread();  // stopped for good: nothing more will happen
  });

  if (kite::Error e = client.start(); e != kite::Error::Ok) {
    std::fprintf(stderr, "thermostat: cannot start: %s\n", kite::describe(e).data());
    return 2;
  }
  send(client, "state", room.state());  // queued until the connection is open

  // The main loop: a reading every interval, state reports, until a signal.
  using Clock = std::chrono::steady_clock;
  const auto interval = std::chrono::milliseconds(args.interval_ms);
  auto next = Clock::now() + interval;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(next - Clock::now());
    const long long ns = std::max<long long>(left.count(), 0);
    // tv_nsec is a long, 32 bits on armhf: the remainder fits.
    const timespec timeout{static_cast<time_t>(ns / 1'000'000'000),
                           static_cast<long>(ns % 1'000'000'000)};
    const int got = sigtimedwait(&signals, nullptr, &timeout);
    if (got == SIGINT || got == SIGTERM) break;
    if (got == SIGUSR1) {
      const kite::State state = client.state();  // an observer: callable from any thread
      if (state == kite::State::Replaced || state == kite::State::Revoked ||
          state == kite::State::Stopped)
        return 1;  // ~Client releases everything
      if (state_changed.exchange(false)) send(client, "state", room.state());
      continue;
    }
    if (Clock::now() < next) continue;  // not time yet (EINTR)
    next += interval;
    if (room.step()) send(client, "state", room.state());
    send(client, "telemetry", room.telemetry_json());
  }
  std::fprintf(stderr, "thermostat: stopping\n");
  client.stop();  // says goodbye to the server; the destructor waits for the client's thread
  return 0;
}
