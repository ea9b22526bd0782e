// kite::LowLevelClient — the device SDK without I/O, for a loop of your own: a game engine's
// frame loop, an RTOS task, a select() loop you already have. It owns no thread, no socket and no
// timer, and does not use libuv: your code opens the TCP connection it asks for, feeds it the
// bytes the socket reads and the time, writes the bytes it hands back, and closes the socket when
// it says so. Everything else is kite::Client's, shared code and not a copy: authentication,
// resume after a reconnect (nothing lost, nothing delivered twice), keep-alive pings, reconnect
// back-off with jitter, the uplink queue, groups, commands, TLS and WebSocket (the bytes you move
// are the socket's: TLS is inside), the session file.
//
//   kite::LowLevelClient client(options);           // the same ClientOptions as kite::Client
//   client.on_message([](const kite::Message& m) { apply(m.payload); });
//   client.start(now_ms());
//   for (;;) {                                      // examples/bring-your-own-loop/
//     std::vector<std::uint8_t> out;                // 1. its bytes, in order, all of them
//     client.take_output(out);
//     if (fd >= 0) write_all(fd, out);
//     if (client.close_wanted() && fd >= 0) {       // 2. then its close
//       close(fd);
//       fd = -1;
//     }
//     if (auto dial = client.dial()) {              // 3. then a new connection, if wanted
//       fd = tcp_connect(dial->host, dial->port);   // yours: blocking or not
//       fd >= 0 ? client.connected(now_ms()) : client.connect_failed(strerror(errno), now_ms());
//       continue;                                   // its first bytes are ready: 1.
//     }
//     wait_readable(fd, client.next_tick());        // 4. until then at most (-1: no deadline)
//     n = read(fd, buffer); n > 0 ? client.received({buffer, n}, now_ms())
//                        : n == 0 ? client.peer_closed(now_ms()) : client.socket_error(..);
//     client.tick(now_ms());
//   }
//
// Time is yours too: any monotonic count of milliseconds (steady_clock, an RTOS tick count),
// passed to every call that takes `now_ms`; the app's calls between them (publish...) use the
// latest time given.
//
// Calls and callbacks: one thread, the one that drives it. Callbacks run inside the calls (a
// message inside received(), a state change or a completion at the end of the call that caused
// it), and any call may be made from inside a callback (it takes effect when the callback
// returns); do not destroy the client from inside one. dial(), take_output(), close_wanted(),
// next_tick() and the observers only read: after a call that produced bytes (received(),
// publish()...), take the output before waiting again.
// The rules of kite::Client hold otherwise (errors, completions, states: kite/client.h).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kite/client.h"

namespace kite {

namespace sdk {
class ClientCore;
}

class LowLevelClient {
 public:
  explicit LowLevelClient(ClientOptions options);
  // No goodbye is said here (that needs your socket): call stop() and drive it until finished()
  // to leave cleanly. The callbacks do not run from here on.
  ~LowLevelClient();
  LowLevelClient(const LowLevelClient&) = delete;
  LowLevelClient& operator=(const LowLevelClient&) = delete;

  // --- the app's side: as kite::Client ------------------------------------------------------
  void on_message(std::function<void(const Message&)> handler);
  void on_command(std::function<Reply(const Command&)> handler);
  void on_state(std::function<void(const StateChange&)> handler);
  // Error::Invalid with start_error() saying why, as Client::start(). The first dial() follows.
  Error start(std::int64_t now_ms);
  std::string start_error() const;
  // Says goodbye (the bytes come from take_output()), then asks for the close; finished() after.
  void stop();
  Error publish(const Publish& message, Completion done = {});
  Error join(std::string_view group, Completion done = {});
  Error leave(std::string_view group, Completion done = {});
  State state() const;
  std::size_t queued() const;

  // --- the I/O: yours ------------------------------------------------------------------------
  struct Dial {
    std::string host;  // a name or an address: resolve it, try each address in turn
    std::uint16_t port = 0;
  };
  // A connection is wanted, once per attempt: open TCP to it (give up by connect_timeout_ms),
  // then call connected() or connect_failed(). With a proxy option, this is the proxy. Once
  // close_wanted() said so, a late result of that attempt must not be reported.
  std::optional<Dial> dial();
  void connected(std::int64_t now_ms);
  // The attempt failed: `why` in a few words ("connection refused", "no address").
  void connect_failed(std::string_view why, std::int64_t now_ms);
  // Bytes the socket read. They are overwritten (TLS decrypts in their place).
  void received(std::span<std::uint8_t> bytes, std::int64_t now_ms);
  void peer_closed(std::int64_t now_ms);                          // the socket read EOF
  void socket_error(std::string_view what, std::int64_t now_ms);  // a read or write failed
  // What to write now, appended to `out` in order. Write all of it before calling again: bytes
  // taken and not yet written count against the uplink queue's pace (see set_unwritten).
  void take_output(std::vector<std::uint8_t>& out);
  // For a non-blocking socket: bytes taken from take_output() and not yet written. Above 64 KiB
  // the uplink queue waits.
  void set_unwritten(std::size_t bytes);
  // The connection is over: close the socket, after writing what take_output() gave. `graceful`
  // (if asked): shut the sending side down first so the goodbye arrives, then close.
  bool close_wanted(bool* graceful = nullptr);
  // When tick() is due next (your clock); -1: not until something else happens.
  std::int64_t next_tick() const;
  void tick(std::int64_t now_ms);
  // Stopped for good (stop(), or replaced, revoked, refused): nothing more to drive.
  bool finished() const;

 private:
  class Call;
  std::unique_ptr<sdk::ClientCore> core_;
  int depth_ = 0;  // calls in progress (a callback's call inside the app's)
};

}  // namespace kite
