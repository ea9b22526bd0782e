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
  session.start(credentials((prefix.options & 2) != 0), resume_request((prefix.options & 4) != 0),
                handler.now);
  drive(session, handler, prefix, stream);
  return 0;
}
