// A device over TLS for the integration tests: socket <-> TlsChannel <-> client Session, pumped
// with deadlines. Messages it receives are kept (payloads()) and acknowledged; every byte it
// writes is kept too (written()), to be replayed raw.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/session.h"
#include "kite/tls/channel.h"
#include "kite/tls/context.h"
#include "raw_socket.h"

namespace kite::it {

class TlsDevice final : public protocol::SessionHandler {
 public:
  // `method`: Tls logs in with the client certificate of `context`; Hmac with the key derived
  // from the test master key. `source_ip`: the 127.0.0.x address to connect from; empty = any.
  TlsDevice(std::shared_ptr<const tls::TlsContext> context, const std::string& id,
            std::uint16_t port, protocol::AuthMethod method = protocol::AuthMethod::Tls,
            const std::string& source_ip = {})
      : channel_(std::move(context)),
        session_(protocol::Role::Client, protocol::SessionConfig{}, *this, now_ms()),
        fd_(connect_tcp(port, source_ip)) {
    protocol::ClientCredentials credentials;
    credentials.device_id = id;
    credentials.method = method;
    if (method == protocol::AuthMethod::Hmac) {
      credentials.key = protocol::derive_device_key(master_key(), id);
      protocol::random_bytes(credentials.nonce);
    }
    session_.start(credentials, {}, now_ms());
  }
  ~TlsDevice() override { ::close(fd_); }
  TlsDevice(const TlsDevice&) = delete;
  TlsDevice& operator=(const TlsDevice&) = delete;

  // Drives the socket and the session until `done()` or the deadline (or the stream's end);
  // true if done() held.
  bool pump_until(const std::function<bool()>& done, int timeout_ms = kWait) {
    const Millis deadline = now_ms() + timeout_ms;
    send();
    while (!done()) {
      const Millis left = deadline - now_ms();
      if (left <= 0 || eof_) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(std::min<Millis>(left, 20))) > 0) receive();
      session_.tick(now_ms());
      send();
    }
    return true;
  }
  // Until the session opens; false if it ended (closed, TLS failure, EOF) or time ran out.
  bool wait_open(int timeout_ms = kWait) {
    pump_until([&] { return open_ || ended(); }, timeout_ms);
    return open_ && !ended();
  }
  // Until the connection ended one way or another; false if time ran out.
  bool wait_end(int timeout_ms = kWait) {
    pump_until([&] { return ended(); }, timeout_ms);
    return ended();
  }
  // The goodbye, then the end of the stream.
  void close() {
    session_.close(protocol::Reason::NormalClose, "test device leaves");
    send();
    ::shutdown(fd_, SHUT_WR);
  }

  bool open() const { return open_; }
  bool ended() const { return closed_.has_value() || channel_.failed() || eof_; }
  const tls::TlsChannel& channel() const { return channel_; }
  const std::optional<Closed>& closed() const { return closed_; }
  const Bytes& written() const { return written_; }
  const std::vector<std::string>& payloads() const { return payloads_; }

 private:
  void receive() {
    std::uint8_t buffer[16384];
    const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n <= 0) {
      eof_ = true;
      return;
    }
    channel_.feed({buffer, static_cast<std::size_t>(n)});
    plaintext_.clear();
    channel_.read_all(plaintext_);
    if (!plaintext_.empty()) session_.receive(plaintext_, now_ms());
  }

  void send() {
    if (session_.has_output() && channel_.state() == tls::TlsChannel::State::Open) {
      channel_.write(session_.output());
      session_.discard_output();
    }
    Bytes out;
    channel_.take_all_output(out);
    if (out.empty() || eof_) return;
    written_.insert(written_.end(), out.begin(), out.end());
    if (::send(fd_, out.data(), out.size(), MSG_NOSIGNAL) < 0) eof_ = true;
  }

  void on_open(const protocol::OpenInfo&) override { open_ = true; }
  void on_message(const protocol::IncomingMessage& message) override {
    payloads_.emplace_back(message.payload.begin(), message.payload.end());
    session_.acknowledge(message.seq, now_ms());
  }
  void on_close(const protocol::CloseInfo& info) override {
    closed_ = Closed{info.reason, info.by_peer, info.reconnect_after_ms, std::string(info.message)};
  }

  tls::TlsChannel channel_;
  protocol::Session session_;
  int fd_;
  Bytes plaintext_;
  Bytes written_;
  std::vector<std::string> payloads_;
  bool open_ = false;
  bool eof_ = false;
  std::optional<Closed> closed_;
};

}  // namespace kite::it
