// Fuzzes a whole server-role Session: the input is a client's byte stream, cut into chunks and
// timed as fuzz_common.h describes, with tick() between chunks and receive_end() at the end.
//
// The handler drives the session as deep as it goes: an Hmac hello is challenged with the fixed
// key and nonce (recorded seed handshakes pass), a Token or Tls hello is accepted without checking
// (so publish, ack, credit, command and subscribe paths open up), every message is acknowledged,
// and the handler publishes and sends commands of its own. Option bits (input byte 4):
//   bit 0  acknowledge inside on_message (else after the chunk)
//   bit 1  accept Tls hellos (else reject them)
//   bit 2  welcome as a resumed session
//   bit 3  compress with the dictionary
//   bit 4-6 size of the payloads the handler publishes (kPayloadSizes)
//   bit 7  send a command for every other message
// Checked: on_close exactly once and nothing after it; every frame the session emits decodes
// under the limit the client announced.
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

  ServerHandler handler(prefix.options);
  Session session(kite::protocol::Role::Server, session_config((prefix.options & 8) != 0), handler,
                  handler.now);
  handler.attach(&session);
  drive(session, handler, prefix, stream);
  return 0;
}
