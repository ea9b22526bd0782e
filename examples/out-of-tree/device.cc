// out-of-tree device: a firmware project that builds against the installed SDK alone (its
// CMakeLists.txt through find_package(Kite), its Makefile through pkg-config). It says hello
// (one uplink message, confirmed by kited), prints each message kited sends it, one per line,
// and exits 0 once kited confirmed the hello and COUNT messages arrived, or on SIGINT or SIGTERM.
//   device HOST PORT DEVICE_ID KEY_HEX [COUNT]
#include <kite/client.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <unistd.h>

int main(int argc, char** argv) {
  if (argc != 5 && argc != 6) {
    std::fprintf(stderr, "usage: device HOST PORT DEVICE_ID KEY_HEX [COUNT]  (SDK %s)\n",
                 KITE_VERSION);
    return 2;
  }
  kite::ClientOptions options;
  options.host = argv[1];
  options.port = static_cast<std::uint16_t>(std::atoi(argv[2]));
  options.device_id = argv[3];
  options.key = argv[4];
  const long wanted = argc == 6 ? std::atol(argv[5]) : 0;  // 0: until a signal

  // Blocked before the client's thread starts (it inherits the mask): sigwait() below gets them,
  // and the message handler ends the program by sending itself one.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // Both callbacks run on the client's thread: done once the hello is confirmed and COUNT
  // messages arrived, in whichever order.
  long received = 0;
  bool hello_confirmed = false;
  auto end_when_done = [&] {
    if (wanted > 0 && received >= wanted && hello_confirmed) kill(getpid(), SIGTERM);
  };
  kite::Client client(options);  // a thread of its own; callbacks run there
  client.on_message([&](const kite::Message& m) {
    std::printf("%.*s\n", int(m.payload.size()), m.payload.data());
    std::fflush(stdout);
    ++received;
    end_when_done();
  });
  client.on_state([](const kite::StateChange& s) {
    std::fprintf(stderr, "%s %.*s\n", kite::describe(s.state).data(), int(s.reason.size()),
                 s.reason.data());
  });
  if (kite::Error e = client.start(); e != kite::Error::Ok) {
    std::fprintf(stderr, "%s: %s\n", kite::describe(e).data(), client.start_error().c_str());
    return 2;
  }
  // Queued until the connection is up; `done` fires once kited has it.
  const std::string hello = std::string("hello from SDK ") + KITE_VERSION;
  client.publish({.payload = hello, .topic = "hello"}, [&](kite::Error e, std::string_view why) {
    std::fprintf(stderr, "hello: %s %.*s\n", kite::describe(e).data(), int(why.size()), why.data());
    hello_confirmed = e == kite::Error::Ok;
    end_when_done();
  });
  int signal_number = 0;
  sigwait(&signals, &signal_number);
  return 0;  // ~Client says goodbye to the server and joins its thread
}
