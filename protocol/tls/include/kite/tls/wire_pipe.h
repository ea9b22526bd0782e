// WirePipe: the bytes between a socket and a Kite Session, through TLS when there is a TLS
// context: what every libuv host of a Session (kited's connections, the device SDK, the bench and
// replay clients) does with the bytes it moves, written once.
//
//   socket bytes --receive()--> [TlsChannel: decrypt] --plaintext--> [WireLayer] --> Session
//   socket       <--output()--- [TlsChannel: encrypt] <-- [WireLayer: frame] <-- Session::output
//
// Both the TLS channel and the layer (a WebSocket, wire_layer.h) are optional.
//
// The host keeps the socket and the session; the pipe touches neither a socket nor a clock.
//
// Rules it keeps:
//  - never in the clear: with TLS the session's bytes leave only encrypted; what the session
//    writes before the handshake is done, or after the channel failed or closed, is dropped;
//  - the session may start late: a client starts its session (its Hello) once the TLS handshake
//    is done, in WireHost::on_tls_established(), and the plaintext of that same read then goes
//    to it;
//  - plaintext is decrypted into the caller's read buffer, a record at a time, once the
//    ciphertext is fed: a connection holds no plaintext buffer of its own;
//  - the host's taps see the plaintext both ways (kited's recorder), before encryption and after
//    decryption, and plain TCP's bytes alike;
//  - how the transport ended is the host's to act on: receive() reports a TLS failure (send the
//    alert, which output() then holds, and close), the peer's close_notify, and a layer that
//    ended (send its answer, then close);
//  - the layer's bytes (its opening first) go out only once TLS is open, and the host hears
//    once, in WireHost::on_wire_ready(), that TLS and the layer's opening are both through.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "kite/protocol/session.h"
#include "kite/tls/channel.h"
#include "kite/tls/wire_layer.h"

namespace kite::tls {

// What the pipe asks of the connection holding it.
class WireHost {
 public:
  virtual ~WireHost() = default;
  // The session the plaintext goes to; null until the host starts one.
  virtual protocol::Session* wire_session() = 0;
  // The TLS handshake just completed (once). A client starts its session here; a server may
  // check the certificate against a newer revocation list.
  virtual void on_tls_established() {}
  // TLS (if any) and the layer's opening (if any) are done: a client starts its session here.
  // Not called for plain TCP without a layer, which is ready from the start (WirePipe::ready()).
  virtual void on_wire_ready() {}
  // False once the host is closing: the rest of a read is not decrypted for it.
  virtual bool wire_receiving() const { return true; }
  // Plaintext taps: what the peer sent, after decryption; what the session sends, before it.
  virtual void on_plaintext_in(std::span<const std::uint8_t>) {}
  virtual void on_plaintext_out(std::span<const std::uint8_t>) {}
};

class WirePipe {
 public:
  enum class Arrival : std::uint8_t {
    Ok,          // handed on; the connection goes on
    TlsFailed,   // the channel failed (channel()->failure_reason()): send output(), then close
    TlsClosed,   // the peer sent close_notify: no more plaintext will come
    LayerEnded,  // the layer is over (layer()->why()): send output(), then close
  };

  // `context` null: plain TCP. A client channel's ClientHello is in output() at once.
  WirePipe() = default;
  explicit WirePipe(std::shared_ptr<const TlsContext> context);

  bool is_tls() const { return channel_ != nullptr; }
  // Frames the session's bytes through `layer` from now on (before any byte moved).
  void set_layer(std::unique_ptr<WireLayer> layer) { layer_ = std::move(layer); }
  WireLayer* layer() { return layer_.get(); }
  const WireLayer* layer() const { return layer_.get(); }
  // TLS and the layer's opening are through: the session's bytes may pass.
  bool ready() const;
  // The session ended with `reason`: the layer's goodbye (a WebSocket Close) carries it.
  void end(protocol::Reason reason) {
    if (layer_) layer_->end(reason);
  }
  TlsChannel* channel() { return channel_.get(); }
  const TlsChannel* channel() const { return channel_.get(); }

  // `bytes` are the first `received` bytes of `buffer`, as the socket delivered them. With TLS
  // the rest of `buffer` (all of it, once fed) takes the decrypted records.
  Arrival receive(std::span<std::uint8_t> buffer, std::size_t received, WireHost& host,
                  protocol::Millis now);

  // Something is waiting for the socket: the session's frames, or the channel's own records.
  bool has_output(const protocol::Session* session) const;
  // Stages what is ready for the socket and returns it: with plain TCP the session's own
  // buffer (no copy); with TLS `scratch`, cleared and filled with ciphertext. `closing`: the
  // host's last output (close_notify follows the last frame). Then either release_staged()
  // (all of it was written) or take_staged() (the host keeps it for a later write).
  std::span<const std::uint8_t> stage_output(protocol::Session* session, WireHost& host,
                                             std::vector<std::uint8_t>& scratch,
                                             bool closing = false);
  void release_staged(protocol::Session* session);
  void take_staged(protocol::Session* session, std::vector<std::uint8_t>& scratch,
                   std::vector<std::uint8_t>& into);
  // stage_output() and take_staged() in one: everything ready, moved into `out`.
  void take_output(protocol::Session* session, WireHost& host, std::vector<std::uint8_t>& out,
                   bool closing = false);

 private:
  void pass_in(std::span<std::uint8_t> plaintext, WireHost& host, protocol::Millis now);
  void frame_out(protocol::Session* session, WireHost& host, std::vector<std::uint8_t>& out);
  bool tls_open() const { return !channel_ || channel_->state() == TlsChannel::State::Open; }

  // On the heap: a plain connection, the common case on a device port, does not carry the
  // channel's 184 bytes (docs/benchmarks.md, "Memory per idle authenticated connection").
  std::unique_ptr<TlsChannel> channel_;
  std::unique_ptr<WireLayer> layer_;
  bool ready_told_ = false;  // on_wire_ready() was called
};

}  // namespace kite::tls
