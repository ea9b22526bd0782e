// A webhook receiver for the webhook tests (34.*): an HTTP/1.1 server on 127.0.0.1 in the test
// process (plain, or TLS with a certificate the test made), keeping connections alive, whose
// answer the test switches while kited sends: 500, slow, an abrupt close, or 200.
//
// It verifies every request's signature with the secret as it arrives (counting the bad ones)
// and keeps the events of the batches it answered 200 to, in arrival order.
#pragma once

#include <openssl/ssl.h>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace kite::it {

class WebhookReceiver {
 public:
  enum class Mode { Fail500, Slow, Close, Ok };

  // `cert_file` and `key_file` empty: plain HTTP.
  explicit WebhookReceiver(std::string secret, const std::string& cert_file = {},
                           const std::string& key_file = {});
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  std::uint16_t port() const { return port_; }
  void set_mode(Mode mode, int slow_ms = 0) {
    slow_ms_ = slow_ms;
    mode_ = mode;
  }

  struct Counts {
    int requests = 0, answered_500 = 0, answered_slow = 0, closed = 0, bad_signatures = 0;
  };
  Counts counts() const;
  // The events of every batch answered 200, in the order they arrived (repeats included).
  std::vector<nlohmann::json> events() const;
  // Every request answered 200 (any JSON body: the receiver also stands in for other HTTP
  // services, such as a mobile push provider), in arrival order.
  struct Request {
    std::string head;  // request line and headers
    nlohmann::json body;
  };
  std::vector<Request> requests() const;

 private:
  void accept_loop();
  void serve(int fd);
  // One request's head and body; false when the connection ended.
  bool read_request(int fd, SSL* ssl, std::string& buffer, std::string& head, std::string& body);
  void answer(int fd, SSL* ssl, const std::string& head, const std::string& body, bool& keep);
  bool verified(const std::string& head, const std::string& body) const;

  std::string secret_;
  SSL_CTX* tls_ = nullptr;
  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<Mode> mode_{Mode::Ok};
  std::atomic<int> slow_ms_{0};
  std::atomic<bool> stopping_{false};
  mutable std::mutex mutex_;
  Counts counts_;
  std::vector<nlohmann::json> events_;
  std::vector<Request> requests_;
  std::vector<int> open_fds_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace kite::it
