// One webhook sender's connection to its receiver: a blocking-style TCP socket, TLS on top for
// https, every wait a poll() bounded by the request's deadline, so a receiver that stops
// answering costs its sender thread the timeout and nothing else.
//
// TLS: OpenSSL, TLS 1.2 or 1.3, the receiver's certificate verified against ca_file (or the
// system store) and its name (or IP address) checked against the URL's host; SNI sent for host
// names. A certificate that does not verify fails the attempt like any other error.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/http_url.h"

namespace kite::server::webhooks {

using Clock = std::chrono::steady_clock;

// The TLS settings of one webhook (null context: plain HTTP).
struct TlsClient {
  struct Free {
    void operator()(SSL_CTX* context) const { SSL_CTX_free(context); }
  };
  std::unique_ptr<SSL_CTX, Free> ctx;
};

// "" and the context, or why the CA file could not be used.
std::string make_tls_client(const std::string& ca_file, TlsClient& out);

class Connection {
 public:
  // `cancel` (may be null): set by another thread, it ends every wait within kCancelCheckMs, so
  // stopping kited never waits for a slow receiver's timeout.
  Connection(const HttpUrl& url, SSL_CTX* tls, const std::atomic<bool>* cancel)
      : url_(url), tls_ctx_(tls), cancel_(cancel) {}
  static constexpr int kCancelCheckMs = 100;
  ~Connection() { close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  bool is_open() const { return fd_ >= 0; }
  // Connects (and handshakes) unless open: "" or what failed.
  std::string open(Clock::time_point deadline);
  std::string write_all(std::string_view bytes, Clock::time_point deadline);
  // Bytes read into `buffer` (> 0), 0 at the peer's close, or -1 with `error` set.
  long read_some(char* buffer, std::size_t size, Clock::time_point deadline, std::string& error);
  void close();

 private:
  std::string connect_tcp(Clock::time_point deadline);
  std::string handshake(Clock::time_point deadline);
  // Waits for `events` on the socket until the deadline: "" or "timed out".
  std::string wait(short events, Clock::time_point deadline) const;
  // After an SSL call returned `result` <= 0: "" to retry (having waited), else the error.
  std::string tls_retry(int result, Clock::time_point deadline);

  HttpUrl url_;
  SSL_CTX* tls_ctx_;
  const std::atomic<bool>* cancel_;
  int fd_ = -1;
  SSL* ssl_ = nullptr;
};

}  // namespace kite::server::webhooks
