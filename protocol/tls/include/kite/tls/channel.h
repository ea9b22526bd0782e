// TlsChannel: one connection's TLS, over two OpenSSL memory BIOs. It never touches a socket: the
// caller moves ciphertext between the socket and the channel, plaintext between the channel and
// the Kite session, on its own loop thread.
//
//   TlsChannel tls(context);                      // a client's ClientHello is ready at once
//   send(tls);                                    // tls.take_all_output(buf), then write buf
//   on socket read (bytes):
//     tls.feed(bytes);
//     while (std::size_t n = tls.read(plain)) session.feed(plain.first(n));
//     send(tls);                                  // handshake replies, tickets, alerts
//     if (tls.failed()) { log(tls.failure_reason()); close the socket after the send; }
//     if (tls.state() == TlsChannel::State::Closed) { tls.close(); send(tls); close; }
//   to send plaintext (once handshake_done()): tls.write(frames); send(tls);
//   on socket EOF: a clean end if state() == Closed (close_notify seen), else a truncation.
//
// Rules it keeps:
//  - sans-IO and non-blocking: every call returns at once; ciphertext in, ciphertext out;
//  - each call clears the thread's OpenSSL error queue before it starts and after it fails, so
//    one connection's error never shows up as another's on the same thread;
//  - state() moves Handshaking -> Open -> Closed, or to Failed from any state; Failed is sticky.
//    feed() advances the handshake; after it, records are decrypted by read(), so the peer's
//    close_notify or a bad record changes state() there;
//  - output can appear after any non-const call (ClientHello, handshake flights, NewSessionTicket,
//    KeyUpdate replies, alerts, close_notify): send it whenever has_output() is true. After a
//    failure it may hold the alert that tells the peer why; send it before closing;
//  - memory: the channel keeps fed ciphertext until read() decrypts it, so stop reading the socket
//    while you stop reading plaintext. A memory BIO that grew past a few records for a burst
//    is replaced once drained, so an idle connection does not keep a burst's worth of memory;
//    OpenSSL's own record buffers are freed between bursts when
//    TlsSettings::release_idle_buffers (the default) is set, and then reallocated per burst;
//  - copies: feed() copies once into the channel; read() decrypts and copies once into the
//    caller's buffer (read_all() once more, from a record-sized scratch); write() encrypts and
//    copies once into the channel; take_output() copies once out. Batch small frames into one
//    write(): each write() makes at least one record (22 bytes of overhead in TLS 1.3);
//  - movable, not copyable; a moved-from channel may only be destroyed or assigned to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kite/tls/certificate_id.h"
#include "kite/tls/context.h"
#include "kite/tls/failure.h"

struct ssl_st;  // OpenSSL's SSL

namespace kite::tls {

class TlsChannel {
 public:
  enum class State : std::uint8_t {
    Handshaking,  // feed() the peer's bytes until handshake_done()
    Open,         // application data flows both ways
    Closed,       // the peer sent close_notify: no more plaintext will come
    Failed,       // see failure() and failure_reason(); sticky
  };

  // The role (server or client) is the context's. A client channel starts its handshake at once:
  // its ClientHello (offering the context's saved session, if any) is in take_output().
  explicit TlsChannel(std::shared_ptr<const TlsContext> context);
  ~TlsChannel();
  TlsChannel(TlsChannel&& other) noexcept;
  TlsChannel& operator=(TlsChannel&& other) noexcept;
  TlsChannel(const TlsChannel&) = delete;
  TlsChannel& operator=(const TlsChannel&) = delete;

  // Hands over ciphertext as the socket delivered it: any split, any coalescing. Advances the
  // handshake; returns state(). Ignored once Closed or Failed.
  State feed(std::span<const std::uint8_t> ciphertext);

  // Decrypts into `plaintext`: returns the bytes written, 0 when no whole record is waiting (feed
  // more), the channel is not Open, or a record failed (look at state()). Call it until it
  // returns 0 after each feed().
  std::size_t read(std::span<std::uint8_t> plaintext);
  // Appends every plaintext byte ready to `plaintext` (which grows by exactly that much).
  std::size_t read_all(std::vector<std::uint8_t>& plaintext);

  // Encrypts `plaintext` into the output. False (and nothing written) unless Open and close()
  // was not called, or when encryption fails (state() becomes Failed).
  bool write(std::span<const std::uint8_t> plaintext);

  // Sends close_notify (once, and only after the handshake): the output then holds it. write()
  // refuses from then on.
  void close();

  // Ciphertext waiting to be sent.
  bool has_output() const;
  std::size_t output_size() const;
  // Moves up to into.size() bytes of the waiting ciphertext into `into` (call again while
  // has_output()). Returns the bytes moved.
  std::size_t take_output(std::span<std::uint8_t> into);
  // Appends all the waiting ciphertext to `out`, e.g. a buffer that lives until its uv_write
  // completes. Returns the bytes moved.
  std::size_t take_all_output(std::vector<std::uint8_t>& out);

  State state() const { return state_; }
  // True once the handshake completed; stays true after Closed / Failed. A TLS 1.3 client gets
  // there before the server has checked its certificate: a refusal arrives later, as an alert
  // that a read() turns into Failed (Failure::AlertReceived).
  bool handshake_done() const { return handshake_done_; }
  bool failed() const { return state_ == State::Failed; }
  Failure failure() const { return failure_; }
  // A sentence for logs: "client certificate rejected: certificate has expired", "peer sent
  // plaintext, not TLS (starts "GET / HTTP/1.1\r\n")", "server sent alert: unknown ca".
  std::string_view failure_reason() const { return failure_reason_; }

  // True when the handshake resumed a session from a ticket (no certificate exchange).
  bool resumed() const { return resumed_; }
  // Server: the device id read from the client certificate per TlsSettings::identity_source
  // (also after a resumption); empty without a client certificate, and on the client.
  const std::string& peer_identity() const { return peer_identity_; }
  // The peer's leaf certificate, for TlsContext::revoked(); empty when the peer sent none.
  const CertificateId& peer_certificate() const { return peer_certificate_; }
  // "TLSv1.3", "TLS_AES_128_GCM_SHA256": for logs; empty before the handshake is done.
  std::string_view version() const;
  std::string_view cipher() const;

  const TlsContext& context() const { return *context_; }
  // Bytes the two memory BIOs have allocated (OpenSSL's own record buffers not included).
  std::size_t buffer_capacity() const;
  // OpenSSL's SSL, for tests and benchmarks.
  ssl_st* native_handle() const { return ssl_.get(); }

 private:
  struct SslFree {
    void operator()(ssl_st* ssl) const;
  };

  void start_client();
  void advance_handshake();
  void on_handshake_done();
  // One SSL_read_ex: bytes read, 0 when it needs more input or the state moved.
  std::size_t read_record(std::span<std::uint8_t> plaintext);
  // Replaces a drained memory BIO that grew past a few records (see channel.cc).
  void release_drained_input();
  void release_drained_output();
  void fail(Failure failure, std::string reason);
  void fail_from_openssl(int ssl_error);

  std::shared_ptr<const TlsContext> context_;
  // Owns two memory BIOs: SSL_get_rbio() holds fed ciphertext until OpenSSL reads it,
  // SSL_get_wbio() the ciphertext OpenSSL wrote until take_output().
  std::unique_ptr<ssl_st, SslFree> ssl_;
  State state_ = State::Handshaking;
  bool handshake_done_ = false;
  bool first_byte_seen_ = false;  // the plaintext check looks at the peer's first byte only
  bool close_sent_ = false;
  bool resumed_ = false;
  Failure failure_ = Failure::None;
  std::string failure_reason_;
  std::string peer_identity_;
  CertificateId peer_certificate_;
};

}  // namespace kite::tls
