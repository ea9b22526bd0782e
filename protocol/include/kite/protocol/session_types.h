// The vocabulary of a Session: its configuration, what the app hands it, and the events it
// emits. Views (string_view, span) in events point into the received frame and are valid only
// for the duration of the callback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kite/protocol/compression.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/reason.h"
#include "kite/protocol/receive_window.h"

namespace kite::protocol {

enum class Role : std::uint8_t { Client, Server };
using AuthMethod = kite::wire::AuthMethod;
using Qos = kite::wire::Qos;

inline constexpr std::uint16_t kProtocolVersion = 1;

struct SessionConfig {
  std::uint32_t max_frame = 256u << 10;  // largest body we accept once open
  std::uint32_t receive_window = 64;     // credit we grant the peer
  std::uint32_t ack_every = 16;          // ack at once after this many processed messages
  Millis ack_delay = 20;                 // ...or this long after the first unacked one
  std::uint32_t keepalive_ms = 30'000;   // client: requested; server: the largest it allows
  std::uint32_t min_keepalive_ms = 1'000;
  std::uint32_t keepalive_factor_percent = 150;
  Millis handshake_timeout = 10'000;
  CompressionSettings compression;  // its dictionary is chosen in the handshake
  std::shared_ptr<const DictionarySet> dictionaries;
};

// Client role: what goes into the hello.
struct ClientCredentials {
  std::string device_id;
  AuthMethod method = AuthMethod::Hmac;
  DeviceKey key{};    // Hmac: the device key
  std::string token;  // Token: a token from mint_token()
  Nonce nonce{};      // Hmac: fresh random bytes for this connection
  std::string agent;
};

// Client role: what the client remembers from its previous connection (all zero if none).
struct ResumeRequest {
  std::vector<std::uint8_t> token;
  std::uint64_t last_received_seq = 0;  // highest downlink seq delivered to the app
  std::uint64_t store_epoch = 0;
  std::uint64_t next_seq = 1;  // the client's next uplink seq
};

// Server role: what the app decides when it accepts a device.
struct WelcomeParams {
  bool resumed = false;
  std::vector<std::uint8_t> resume_token;
  std::uint64_t store_epoch = 0;
  std::uint64_t last_received_seq = 0;  // highest uplink seq the server holds (dedup)
  std::uint64_t next_seq = 1;           // next downlink seq
  std::vector<std::string> groups;
};

// Server role: the hello as received, for the app to decide on.
struct HelloInfo {
  std::string_view device_id;
  AuthMethod method;
  std::string_view token;
  std::span<const std::uint8_t> resume_token;
  std::uint64_t last_received_seq;
  std::uint64_t store_epoch;
  std::uint32_t keepalive_ms;
  std::string_view agent;
};

// Both roles: the session is open.
struct OpenInfo {
  bool resumed;
  std::span<const std::uint8_t> resume_token;
  std::uint64_t store_epoch;
  std::uint64_t peer_last_received;  // what the peer already holds of our publishes
  std::uint32_t keepalive_ms;
  std::uint16_t dictionary;  // zstd dictionary both sides compress with (0 = none)
  // Groups the Welcome listed. When groups_total is larger, the others arrive right after as
  // on_subscribe(limits::kGroupAnnouncement, true, ...) calls, up to 32 groups each.
  std::vector<std::string_view> groups;
  std::size_t groups_total = 0;
};

struct OutgoingMessage {
  std::span<const std::uint8_t> payload;
  Qos qos = Qos::AtLeastOnce;
  std::uint32_t ttl_ms = 0;
  std::string_view topic;
  std::string_view content_type;
  std::string_view conflation_key;
  std::string_view message_id;
  std::string_view target;  // service connections: the device the message is for
};

struct IncomingMessage {
  std::uint64_t seq;
  Qos qos;
  std::uint32_t ttl_ms;
  std::string_view topic;
  std::string_view content_type;
  std::string_view conflation_key;
  std::string_view message_id;
  std::span<const std::uint8_t> payload;
  std::string_view target;
};

struct CommandInfo {
  std::uint64_t id;
  std::string_view name;
  std::span<const std::uint8_t> payload;
  std::uint32_t timeout_ms;
};

struct ReplyInfo {
  std::uint64_t id;
  std::uint16_t status;
  std::span<const std::uint8_t> payload;
};

struct CloseInfo {
  Reason reason;
  bool by_peer;                      // the peer said goodbye (goaway or error), or we decided
  std::uint32_t reconnect_after_ms;  // the server's hint (goaway)
  std::string_view message;
};

enum class SendStatus : std::uint8_t {
  Sent,
  NotOpen,     // handshake not done, or closed
  NoCredit,    // the peer has not granted room: retry when on_credit() fires
  OutOfOrder,  // a stored publish at or below a seq already sent on this connection
  TooLarge,    // the encoded body is above the peer's maximum frame size
  Invalid,     // a field above its limit
  WrongRole,   // only the other role sends this (a client's send_command()): nothing sent
};

// What became of a call that steers the handshake or ends the session: start(), challenge(),
// accept(), reject(), goaway(). Anything but Done means the call did nothing (but see accept()).
enum class CallStatus : std::uint8_t {
  Done,        // carried out; what followed (open, closed) is reported through the handler
  WrongRole,   // a call of the other role (a client's accept()): a bug in the caller
  WrongState,  // not for the session's state (start() twice, goaway() once closed); accept()
               // before an Hmac device proved its key also closes the session (Internal)
};

// Receives what a Session emits. Calls are synchronous, from inside the Session's methods; the
// handler may call back into the Session (publish, acknowledge, close...) but must not destroy it
// from inside a callback.
class SessionHandler {
 public:
  virtual ~SessionHandler() = default;
  // Server: a hello arrived; answer with challenge(), accept() or reject(), now or later.
  virtual void on_hello(const HelloInfo&) {}
  // Server: the client's proof matched the key given to challenge(); answer with accept().
  virtual void on_authenticated(std::string_view /*device_id*/) {}
  virtual void on_open(const OpenInfo&) {}
  // A frame arrived on the open session (any message), `body_bytes` long after decompression:
  // before it is handled, so that a server can charge it to the peer's rate limit.
  virtual void on_frame(wire::Message /*type*/, std::size_t /*body_bytes*/) {}
  // A publish for the app; acknowledge(seq) once it is processed (may be later).
  virtual void on_message(const IncomingMessage&) = 0;
  // The peer confirmed every publish up to `seq`: forget them.
  virtual void on_acked(std::uint64_t /*seq*/) {}
  // Credit went from zero to some: sending may resume.
  virtual void on_writable() {}
  virtual void on_command(const CommandInfo&) {}
  virtual void on_reply(const ReplyInfo&) {}
  virtual void on_subscribe(std::uint64_t /*request_id*/, bool /*join*/,
                            std::span<const std::string_view> /*groups*/) {}
  // A non-fatal error about one request (`ref`: a seq, command or request id).
  virtual void on_error(Reason, std::uint64_t /*ref*/, std::string_view /*message*/) {}
  // The session is over: flush pending output, then close the connection. Called once.
  virtual void on_close(const CloseInfo&) = 0;
};

}  // namespace kite::protocol
