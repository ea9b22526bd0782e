// One context, many threads: kited's worker loops all make channels from the same server context,
// and a device's reconnects may run on another thread than the one that saved the ticket.
#include <atomic>
#include <thread>

#include "tls_helpers.h"

using namespace kite;
using namespace kite::test;

TEST_CASE("channels of shared contexts handshake and resume on several threads at once") {
  auto& pki = StandardPki::get();
  auto client = make_context(device_settings(pki.device));
  auto server = make_context(mtls_server_settings());
  std::atomic<int> open{0};
  std::atomic<int> resumed{0};
  std::atomic<int> with_id{0};
  std::vector<std::thread> threads;
  constexpr int kThreads = 4;
  constexpr int kConnections = 15;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kConnections; ++i) {
        tls::TlsChannel client_channel(client);
        tls::TlsChannel server_channel(server);
        Bytes wire;
        Bytes plain;
        for (int round = 0; round < 10; ++round) {
          wire.clear();
          client_channel.take_all_output(wire);
          server_channel.feed(wire);
          server_channel.read_all(plain);
          wire.clear();
          server_channel.take_all_output(wire);
          if (wire.empty()) break;
          client_channel.feed(wire);
          client_channel.read_all(plain);
        }
        open += server_channel.state() == tls::TlsChannel::State::Open;
        resumed += server_channel.resumed();
        with_id += server_channel.peer_identity() == "device-42";
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(open == kThreads * kConnections);
  CHECK(with_id == kThreads * kConnections);
  CHECK(resumed > 0);  // the saved ticket moves between threads; races only cost resumptions
}
