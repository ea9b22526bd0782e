// kite::Client — the Kite device SDK.
//
// A device dials out to kited once and keeps the connection: the client authenticates, resumes
// its session after a reconnect (nothing lost, nothing delivered twice to the app), keeps the
// connection alive with pings, reconnects with capped exponential back-off and full jitter, and
// queues uplink messages while offline.
//
//   kite::ClientOptions options;
//   options.host = "push.example.com";
//   options.device_id = "thermostat-42";
//   options.key = "9f2c...";  // 64 hex digits: `kite keys derive --master-key ... thermostat-42`
//   kite::Client client(options);  // a thread of its own; or Client(options, uv_default_loop())
//   client.on_message([](const kite::Message& m) { apply(m.payload); });  // returning acks it
//   client.start();
//   client.publish({.payload = R"({"celsius":21.5})", .topic = "telemetry"});
//
// Threads. Client(options) runs on a thread of its own: every call may be made from any thread,
// and callbacks run on the client's thread. Client(options, loop) runs on the caller's libuv
// loop: calls must be made on that loop's thread, and callbacks run there too. In both modes
// every call may be made from inside a callback. Do not block inside callbacks, and do not
// destroy the client from inside one of them (call stop()).
//
// Errors follow libuv's rule: a call that returns an error never fires its completion callback;
// a call that returns Error::Ok fires it exactly once (with Error::Stopped if the client is
// stopped first).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kite/version.h"

struct uv_loop_s;

namespace kite {

enum class Error : std::uint8_t {
  Ok = 0,
  QueueFull,   // the uplink queue holds max_queued messages (or max_queued_bytes): retry later
  TooLarge,    // the message is larger than the server accepts
  Invalid,     // a field is above its limit (topic 256 bytes, group name 128...) or empty
  NotStarted,  // start() was not called yet
  Stopped,     // the client was stopped (by stop(), or for good: replaced, revoked, refused)
  Refused,     // the server refused the request (see the reason text in the completion)
  Expired,     // its ttl_ms passed while it waited in the offline queue
  NotSaved,    // the session file could not be written (disk full?): the message is not queued
};

// "queue full: ..." — a sentence saying what happened and what to do.
std::string_view describe(Error error);

enum class State : std::uint8_t {
  Connecting,    // dialling, or handshaking
  Connected,     // the session is open (see StateChange::resumed)
  Disconnected,  // lost; the next attempt starts in retry_in_ms
  Replaced,      // a newer connection took this device id: stopped for good, no reconnect
  Revoked,       // the server revoked this device: stopped for good
  Stopped,       // stop() was called, or the server refused the credentials (reason says which)
};

// "connecting", "connected", ... as printed in logs.
std::string_view describe(State state);

struct StateChange {
  State state = State::Stopped;
  // Why, as the server or the client named it: "ConnectFailed", "KeepaliveTimeout",
  // "ServerShutdown", "Replaced", "AuthFailed"... Empty for Connecting and Connected.
  // "TlsFailed" (a certificate refused by either side, no TLS version in common...; the detail
  // is OpenSSL's reason) comes with Disconnected: it is retried with the usual back-off, since
  // the fix is usually on the server (a renewed certificate, a CA bundle, a CRL) and a device
  // should come back by itself; call stop() to give up sooner.
  std::string_view reason{};
  std::string_view detail{};  // more words on it, when there are any ("connection refused")
  // Connected: the server kept the session, so queued downlink continues where it stopped.
  // False after the server lost its history (a new store): messages may have been lost.
  bool resumed = false;
  std::uint32_t retry_in_ms = 0;  // Disconnected: when the next attempt starts
  // Connected over TLS: the TLS handshake resumed a session from a ticket of an earlier
  // connection (no certificate exchange). Independent of `resumed`, which is the Kite session's.
  bool tls_resumed = false;
  // Connected: the id of the zstd dictionary both sides compress with; 0 = none (kited offers
  // none, or none that this device holds).
  std::uint16_t dictionary = 0;
};

// TLS to kited's TLS device listener (kited.toml [tls] listen: a port of its own).
//   options.port = 7443;
//   options.tls.enabled = true;
//   options.tls.ca_file = "/etc/kite/ca.pem";           // who signed kited's certificate
//   options.tls.cert_file = "/etc/kite/device.pem";     // mutual TLS, when kited asks for it;
//   options.tls.key_file = "/etc/kite/device-key.pem";  // with neither key nor token, the
//                                                       // certificate is the credential
// kited's certificate is always verified (there is no insecure mode). start() reads the files
// once: a certificate renewed on disk takes a new Client. The TLS session (one context per
// client) is resumed on reconnects, which skips the certificate exchange.
struct TlsOptions {
  bool enabled = false;
  std::string ca_file{};            // PEM CA bundle; empty: the system's trust store
  std::string server_name{};        // the name (or IP) kited's certificate must carry; empty: host
  std::string cert_file{};          // this device's certificate (then its CA chain), PEM
  std::string key_file{};           // its private key, PEM, unencrypted
  std::string min_version = "1.3";  // "1.3" or "1.2"
};

struct ClientOptions {
  std::string host = "127.0.0.1";  // a name or an address
  std::uint16_t port = 7000;
  std::string device_id{};
  // Credentials: the first of key, token and tls.cert_file that is set. Over TLS, a key or token
  // is the credential even with a certificate given too (kited may require both); with the
  // certificate alone, kited takes the device id from it and refuses any other device_id.
  std::string key{};                    // HMAC device key, hex (64 digits); or
  std::string token{};                  // a token from `kite keys token`
  std::uint32_t keepalive_ms = 30'000;  // the server may shorten it
  std::uint32_t credit_window = 64;     // downlink messages the server may send unacknowledged
  // Uplink messages held while offline or waiting for the server's ack (QoS 1), and their bytes.
  std::size_t max_queued = 256;
  std::size_t max_queued_bytes = 256u << 10;
  // Reconnect: the n-th failed attempt in a row waits uniform(0, min(backoff_max_ms,
  // backoff_initial_ms * 2^n)) ms (full jitter, after the cap), and never less than the
  // reconnect-after the server asked for. A connection open for stable_after_ms resets n.
  std::uint32_t backoff_initial_ms = 500;
  std::uint32_t backoff_max_ms = 60'000;
  // A session lost without a word from the server (kited killed, the network gone: no goaway
  // saying when to come back) is retried after uniform(0, lost_reconnect_spread_ms) ms, not
  // within the first back-off window: a fleet that lost its server together comes back spread
  // over this window instead of in the same half second. Failures after that back off as
  // above. 0: the first back-off window.
  std::uint32_t lost_reconnect_spread_ms = 5'000;
  std::uint32_t stable_after_ms = 30'000;
  std::uint32_t connect_timeout_ms = 10'000;     // TCP connect plus handshake
  std::uint64_t jitter_seed = 0;                 // 0: random; anything else makes delays repeatable
  std::string agent = "kite-sdk/" KITE_VERSION;  // sent in the hello: who and which version
  TlsOptions tls{};                              // off: plain TCP
  // ws://host[:port][/path] or wss://...: over WebSocket instead of raw TCP, to kited's
  // [websocket] listener (wss: with TLS, set up by `tls` as above; tls.enabled is implied).
  // Replaces host and port. Empty: raw TCP to host:port.
  std::string url{};
  // http://[user:password@]host:port: an HTTP proxy to go through (a CONNECT tunnel, with basic
  // auth when credentials are given), for devices that reach the internet only that way. TLS and
  // WebSocket run inside the tunnel, end to end with kited. Empty: direct.
  std::string proxy{};
  // zstd dictionaries this device holds, files from `kite dict train` (at most 16). When kited
  // offers one of them (kited.toml [compression] dictionary_file), both sides compress with it
  // and small messages shrink too; StateChange::dictionary says which. Read by start().
  std::vector<std::string> dictionary_files{};
  // A file that keeps the session across restarts and reboots: the resume token, the last
  // downlink seq the app processed and the uplink queue. A device started again with the same
  // file resumes where it stopped: queued uplink goes out (kited drops what it already has) and
  // kited sends only what the app has not processed. Written whole and atomically (a crash
  // never leaves a torn file); an unreadable file makes start() fail and says so. Empty: the
  // session lives in memory only. See docs/sdk.md, "Surviving a reboot".
  std::string session_file{};
  // Flash wear: the file is written at most this often, changes in between are batched (and
  // their acknowledgements to kited held until written). publish() is written at once.
  std::uint32_t session_writes_per_minute = 60;
};

// A message from the server. Views are valid only during the callback.
struct Message {
  std::string_view payload{};
  std::string_view topic{};
  std::string_view content_type{};
  std::string_view message_id{};
  std::uint64_t seq = 0;  // per device, grows by one per QoS 1 message
  bool at_least_once = true;
};

// A command (RPC) from a backend; the handler returns the reply.
struct Command {
  std::string_view name{};
  std::string_view payload{};
  std::uint32_t timeout_ms = 0;  // the backend stops waiting after this long
};

struct Reply {
  std::uint16_t status = 0;  // 0 = success; anything else is the app's error code
  std::string payload;
};
// The status the backend gets instead when the app's reply is too large for a frame.
inline constexpr std::uint16_t kReplyTooLarge = 413;

// An uplink message.
struct Publish {
  std::string_view payload{};
  std::string_view topic{};  // what the backend dispatches on (at most 256 bytes)
  std::string_view content_type{};
  bool at_least_once = true;  // QoS 1: kept and resent until the server confirms it
  std::uint32_t ttl_ms = 0;   // 0: no expiry
};

using Completion = std::function<void(Error error, std::string_view detail)>;

class Client {
 public:
  // Runs on a thread of its own, started by start().
  explicit Client(ClientOptions options);
  // Runs on `loop` (calls from that loop's thread only); the caller runs the loop.
  Client(ClientOptions options, uv_loop_s* loop);
  // Stops (see stop()) and releases everything. Not from inside a callback. The callbacks are
  // detached first: none runs from here on (to see the final Stopped, stop() and wait for it).
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // --- callbacks: set them before start() --------------------------------------------------
  // A message for the app. Returning from the handler acknowledges it: it is not delivered
  // again, even after a reconnect.
  //   client.on_message([&](const kite::Message& m) { display.show(m.payload); });
  void on_message(std::function<void(const Message&)> handler);
  // A command; the returned Reply goes back to the backend that sent it. Without a handler,
  // commands are answered with status 501.
  //   client.on_command([&](const kite::Command& c) -> kite::Reply {
  //     if (c.name == "reboot") { schedule_reboot(); return {0, "ok"}; }
  //     return {404, "unknown command"};
  //   });
  void on_command(std::function<Reply(const Command&)> handler);
  // Connection state changes, with the reason.
  //   client.on_state([](const kite::StateChange& s) {
  //     if (s.state == kite::State::Replaced) log("another device uses my id");
  //   });
  void on_state(std::function<void(const StateChange&)> handler);

  // --- life cycle ----------------------------------------------------------------------------
  // Connects (and keeps reconnecting). Error::Invalid if the options are unusable (no device
  // id, a key that is not 64 hex digits, no credentials, a TLS file that does not load):
  // start_error() says which; no state change is reported. Stopped after stop().
  //   if (client.start() != kite::Error::Ok) std::puts(client.start_error().c_str());
  Error start();
  // Why start() returned Error::Invalid, naming the option or file: "key: expected 64 hex
  // digits", "tls: CA file /x.pem: cannot open (No such file or directory)". Empty if it did not.
  std::string start_error() const;
  // Says goodbye to the server, closes the connection and fails what is still queued with
  // Error::Stopped. From a message handler: no later message is delivered or acknowledged. For
  // good: a stopped client does not start again. Returns at once; on a thread of its own, the
  // thread ends soon after.
  //   client.stop();
  void stop();

  // --- messages ------------------------------------------------------------------------------
  // Sends (or queues while offline) an uplink message. `done` fires once the server confirmed
  // it (QoS 1) or it was written (QoS 0). Error::QueueFull when max_queued is reached.
  //   client.publish({.payload = reading, .topic = "telemetry"},
  //                  [](kite::Error e, std::string_view why) { if (e != kite::Error::Ok) ... });
  Error publish(const Publish& message, Completion done = {});

  // --- groups --------------------------------------------------------------------------------
  // Joins (or leaves) a group; `done` fires when the server confirmed or refused. Queued while
  // offline, like publish.
  //   client.join("room-7", [](kite::Error e, std::string_view) { if (e == kite::Error::Ok) ... });
  Error join(std::string_view group, Completion done = {});
  Error leave(std::string_view group, Completion done = {});

  // --- observers (any thread) ----------------------------------------------------------------
  //   if (client.state() == kite::State::Connected) led.on();
  State state() const;
  // Uplink messages not yet confirmed (queued offline, or sent and awaiting the server's ack).
  //   if (client.queued() > 200) sample_less_often();
  std::size_t queued() const;

 private:
  class Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace kite
