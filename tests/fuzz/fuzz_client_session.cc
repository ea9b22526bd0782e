// Fuzzes a whole client-role Session after start(): the input is a server's byte stream, cut into
// chunks and timed as fuzz_common.h describes, with tick() between chunks and receive_end() at
// the end. The client uses the fixed credentials, so a recorded server handshake (Hmac challenge
// and welcome with its server proof) replays and opens the session.
//
// Option bits (input byte 4):
//   bit 0  acknowledge inside on_message (else after the chunk)
//   bit 1  authenticate with a token (else Hmac)
//   bit 2  ask to resume a previous session
//   bit 3  reply to commands
//   bit 4-6 size of the payloads the handler publishes (kPayloadSizes)
//   bit 7  subscribe to groups once open
// Checked: on_close exactly once and nothing after it; every frame the session emits decodes
// under the limit the server announced.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_handlers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kite::fuzz;
  Prefix prefix;
  std::span<const std::uint8_t> stream;
  if (!split_input({data, size}, prefix, stream)) return 0;

  ClientHandler handler(prefix.options);
  Session session(kite::protocol::Role::Client, session_config(false), handler, handler.now);
  handler.attach(&session);
  OutputChecker checker;
  std::vector<std::uint8_t> output;
  auto drain = [&] {
    session.take_output(output);
    checker.check(output, session.peer_max_frame());
    KITE_FUZZ_CHECK(handler.closed == (session.state() == Session::State::Closed));
  };

  session.start(credentials((prefix.options & 2) != 0), resume_request((prefix.options & 4) != 0),
                handler.now);
  drain();
  Chunker chunker(prefix, stream);
  while (!chunker.done()) {
    handler.now += chunker.time_step();
    session.tick(handler.now);
    drain();
    session.receive(chunker.next(), handler.now);
    drain();
    if ((prefix.options & 1) == 0) session.acknowledge(handler.delivered, handler.now);
    drain();
  }
  session.tick(handler.now + 25);  // due acks and pings
  drain();
  session.receive_end(handler.now + 25);
  drain();
  KITE_FUZZ_CHECK(handler.closed);
  return 0;
}
