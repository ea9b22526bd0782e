// minimal: the smallest useful device. Connects, prints every message it receives (one line on
// stdout each), and keeps doing so until SIGINT or SIGTERM.
//   minimal HOST PORT DEVICE_ID KEY_HEX
// It is also what docs/benchmarks.md measures for the SDK's size ("Device SDK footprint").
#include <kite/client.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: minimal HOST PORT DEVICE_ID KEY_HEX\n");
    return 2;
  }
  kite::ClientOptions options;
  options.host = argv[1];
  options.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  options.device_id = argv[3];
  options.key = argv[4];

  // Blocked before the client's thread starts (it inherits the mask): sigwait() below gets them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  kite::Client client(options);  // a thread of its own; callbacks run there
  client.on_message([](const kite::Message& m) {
    std::printf("%.*s\n", int(m.payload.size()), m.payload.data());
    std::fflush(stdout);
  });
  client.on_state([](const kite::StateChange& s) {
    std::fprintf(stderr, "%s %.*s\n", kite::describe(s.state).data(), int(s.reason.size()),
                 s.reason.data());
  });
  if (kite::Error e = client.start(); e != kite::Error::Ok) {
    std::fprintf(stderr, "%s\n", kite::describe(e).data());
    return 2;
  }
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return 0;  // ~Client says goodbye to the server and joins its thread
}
