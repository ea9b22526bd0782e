// HTTPS for the admin API: the TLS half of http::Connection (connection.h). The channel turns
// the socket's ciphertext into the parser's plaintext and every answer into ciphertext; the rest
// of the connection (pipelining, streams, linger) does not know TLS is there.
#include <vector>

#include "common/log.h"
#include "common/log_limiter.h"
#include "http/connection.h"
#include "http/http_server.h"

namespace kite::server::http {
namespace {

using kite::tls::TlsChannel;

// Failed handshakes (plain HTTP, scanners) are logged at a limited rate: anyone can cause them.
log::Limiter& failure_log() {
  static log::Limiter limiter(20, 1000);
  return limiter;
}

std::span<const std::uint8_t> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

}  // namespace

void Connection::receive_tls(std::string_view ciphertext) {
  // One buffer for the loop: the admin API runs on one thread, and handle_input() is done with
  // the bytes before the next read.
  static thread_local std::vector<std::uint8_t> plaintext;
  tls_->feed(as_bytes(ciphertext));
  plaintext.clear();
  tls_->read_all(plaintext);
  send_tls_output();  // handshake flights, tickets, an alert
  if (closed_) return;
  // Records that only make OpenSSL answer (KeyUpdate) carry no request, so handle_input() would
  // not look at the write queue: a peer that sends them and never reads is stopped here.
  update_reading();
  if (tls_->failed()) {
    if (auto suppressed = failure_log().admit())
      KITE_LOG(warn, "http.tls_failed",
               {{"ip", gate_ip_ ? gate_ip_->text() : std::string("?")},
                {"reason", tls_->failure_reason()},
                {"suppressed", *suppressed}});
    return end_after_writes();  // the alert goes out first
  }
  if (!plaintext.empty())
    handle_input({reinterpret_cast<const char*>(plaintext.data()), plaintext.size()});
  if (!closed_ && tls_->state() == TlsChannel::State::Closed) close();  // close_notify
}

std::string Connection::encrypt(std::string_view plaintext) {
  if (!tls_->write(as_bytes(plaintext))) {
    close();  // not open (failed, or closed by the peer): nothing can be sent any more
    return {};
  }
  std::string out(tls_->output_size(), '\0');
  tls_->take_output({reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
  return out;
}

void Connection::send_tls_output() {
  if (closed_ || !tls_->has_output()) return;
  std::string out(tls_->output_size(), '\0');
  tls_->take_output({reinterpret_cast<std::uint8_t*>(out.data()), out.size()});
  write_raw(std::move(out));
}

}  // namespace kite::server::http
