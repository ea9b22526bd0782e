// A server Session in the Open state receiving a coalesced read of 1000 publishes: decode, verify,
// dispatch to the handler, the handler's acknowledge(), and the acks and credit that go back.
//
// Setup: a client and a server session talk to each other in memory until both are open (Token
// method; the server's handler accepts every hello). The publishes are then encoded once, as the
// client would send them, and renumbered in place before each pass so that every pass delivers
// new sequence numbers (1000 eight-byte stores, part of the timed work).
#include <cstring>
#include <limits>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.h"
#include "kite/protocol/session.h"
#include "publish_stream.h"

namespace kite::bench {
namespace {

using protocol::Millis;
using protocol::Session;

constexpr std::size_t kFramesPerRead = 1000;
constexpr Millis kNow = 1'000;

// Accepts every hello; delivers messages to nowhere but acknowledges each at once.
class ServerApp : public protocol::SessionHandler {
 public:
  void attach(Session& session) { session_ = &session; }
  void on_hello(const protocol::HelloInfo&) override { session_->accept({}, kNow); }
  void on_message(const protocol::IncomingMessage& message) override {
    benchmark::DoNotOptimize(message.payload.size());
    ++delivered;
    session_->acknowledge(message.seq, kNow);
  }
  void on_close(const protocol::CloseInfo&) override { closed = true; }

  std::size_t delivered = 0;
  bool closed = false;

 private:
  Session* session_ = nullptr;
};

class ClientApp : public protocol::SessionHandler {
 public:
  void on_message(const protocol::IncomingMessage&) override {}
  void on_close(const protocol::CloseInfo&) override {}
};

// Moves `from`'s pending output into `to`.
void pump(Session& from, Session& to, std::vector<std::uint8_t>& scratch) {
  from.take_output(scratch);
  if (!scratch.empty()) to.receive(scratch, kNow);
}

void BM_SessionReceive(benchmark::State& state) {
  auto payload_size = static_cast<std::size_t>(state.range(0));
  ServerApp server_app;
  ClientApp client_app;
  Session server(protocol::Role::Server, {}, server_app, kNow);
  Session client(protocol::Role::Client, {}, client_app, kNow);
  server_app.attach(server);

  protocol::ClientCredentials credentials;
  credentials.device_id = "dev-000001";
  credentials.method = protocol::AuthMethod::Token;
  credentials.token = "kite1.bench.token";  // the app decides; this one accepts anything
  client.start(credentials, {}, kNow);
  std::vector<std::uint8_t> scratch;
  pump(client, server, scratch);  // hello -> accept() -> welcome
  pump(server, client, scratch);
  if (!server.is_open() || !client.is_open()) {
    state.SkipWithError("the handshake did not open both sessions");
    return;
  }

  auto stream = make_publish_stream(kFramesPerRead, payload_size, client.next_seq());
  std::size_t seq_at = seq_offset_in_frame(payload_size);
  if (seq_at == std::numeric_limits<std::size_t>::max()) {
    state.SkipWithError("seq field not found in the encoded publish");
    return;
  }
  std::uint64_t next_seq = client.next_seq();
  auto renumber = [&] {
    auto bytes = stream.mutable_bytes();
    for (std::size_t i = 0; i < stream.frames; ++i, ++next_seq)
      std::memcpy(bytes.data() + i * stream.frame_bytes + seq_at, &next_seq, sizeof next_seq);
  };

  std::vector<std::uint8_t> acks;
  auto one_read = [&] {
    renumber();
    server.receive(stream.bytes(), kNow);
    server.take_output(acks);  // what would go back to the client: acks and credit
    benchmark::DoNotOptimize(acks.data());
  };
  // Warm-up: windows and both output buffers (take_output() swaps them) reach their size.
  one_read();
  one_read();
  if (server_app.delivered != 2 * stream.frames || server_app.closed) {
    state.SkipWithError("the server did not deliver the publishes");
    return;
  }

  AllocationMeter allocations;
  for (auto _ : state) one_read();
  allocations.report(state, stream.frames);
  if (server_app.closed || server_app.delivered != stream.frames * (state.iterations() + 2))
    state.SkipWithError("the server closed or dropped publishes");
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(stream.frames));
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(stream.size));
  state.counters["ack_bytes/read"] = static_cast<double>(acks.size());
}

BENCHMARK(BM_SessionReceive)->ArgName("payload")->Arg(64)->Arg(1024);

}  // namespace
}  // namespace kite::bench
