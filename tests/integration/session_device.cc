// A device process with a session file, for test_50: killed with -9 and started again, it must
// resume with nothing lost and nothing delivered twice. It prints, each line flushed at once so
// that a kill loses none of them:
//   message SEQ PAYLOAD   a downlink message, from inside the handler (before the SDK acks it)
//   accepted PAYLOAD      an uplink message publish() took (written to the session file)
//   state NAME            a state change
// and publishes "up-TAG-K" (K = 1, 2...) every EVERY_MS milliseconds.
// Usage: kite_session_device PORT DEVICE_ID KEY SESSION_FILE TAG EVERY_MS
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

#include "kite/client.h"

namespace {

std::mutex output;

void say(const std::string& line) {
  std::lock_guard lock(output);
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 7) {
    std::fputs("usage: kite_session_device PORT DEVICE_ID KEY SESSION_FILE TAG EVERY_MS\n", stderr);
    return 2;
  }
  kite::ClientOptions options;
  options.port = static_cast<std::uint16_t>(std::atoi(argv[1]));
  options.device_id = argv[2];
  options.key = argv[3];
  options.session_file = argv[4];
  options.keepalive_ms = 2'000;
  options.backoff_initial_ms = 100;
  options.lost_reconnect_spread_ms = 100;
  options.backoff_max_ms = 1'000;
  const std::string tag = argv[5];
  const auto every = std::chrono::milliseconds(std::atoi(argv[6]));

  kite::Client client(options);
  client.on_message([](const kite::Message& m) {
    say("message " + std::to_string(m.seq) + " " + std::string(m.payload));
  });
  client.on_state([](const kite::StateChange& s) {
    say("state " + std::string(kite::describe(s.state)) + (s.resumed ? " resumed" : ""));
  });
  if (client.start() != kite::Error::Ok) {
    std::fprintf(stderr, "cannot start: %s\n", client.start_error().c_str());
    return 1;
  }
  for (unsigned k = 1;; ++k) {
    const std::string payload = "up-" + tag + "-" + std::to_string(k);
    kite::Error error;
    while ((error = client.publish({.payload = payload, .topic = "reading"})) ==
           kite::Error::QueueFull)
      std::this_thread::sleep_for(every);
    if (error != kite::Error::Ok) {
      std::fprintf(stderr, "publish: %s\n", std::string(kite::describe(error)).c_str());
      return 1;
    }
    say("accepted " + payload);
    std::this_thread::sleep_for(every);
  }
}
