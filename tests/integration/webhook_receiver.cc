#include "webhook_receiver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

namespace kite::it {
namespace {

// The value of header `name` (lowercase) in a request head, or "".
std::string header(const std::string& head, const std::string& name) {
  std::string lower = head;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto at = lower.find("\r\n" + name + ":");
  if (at == std::string::npos) return {};
  const auto start = head.find_first_not_of(' ', at + 3 + name.size());
  return head.substr(start, head.find("\r\n", start) - start);
}

long receive(int fd, SSL* ssl, char* buffer, std::size_t size) {
  if (ssl) return SSL_read(ssl, buffer, static_cast<int>(size));
  return ::recv(fd, buffer, size, 0);
}

void send_all(int fd, SSL* ssl, const std::string& bytes) {
  if (ssl) {
    SSL_write(ssl, bytes.data(), static_cast<int>(bytes.size()));
    return;
  }
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const long n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

}  // namespace

WebhookReceiver::WebhookReceiver(std::string secret, const std::string& cert_file,
                                 const std::string& key_file)
    : secret_(std::move(secret)) {
  if (!cert_file.empty()) {
    tls_ = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(tls_, cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(tls_, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("webhook receiver: cannot load its certificate");
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t size = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), size) != 0 ||
      ::listen(listen_fd_, 64) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0)
    throw std::runtime_error("webhook receiver: cannot listen");
  port_ = ntohs(address.sin_port);
  acceptor_ = std::thread([this] { accept_loop(); });
}

WebhookReceiver::~WebhookReceiver() {
  stopping_ = true;
  acceptor_.join();
  {
    std::lock_guard lock(mutex_);
    for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);  // ends the blocking reads
  }
  for (auto& thread : threads_) thread.join();
  for (int fd : open_fds_) ::close(fd);
  ::close(listen_fd_);
  if (tls_) SSL_CTX_free(tls_);
}

void WebhookReceiver::accept_loop() {
  while (!stopping_) {
    pollfd entry{listen_fd_, POLLIN, 0};
    if (::poll(&entry, 1, 50) <= 0) continue;  // checks stopping_ every 50 ms
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd] { serve(fd); });
  }
}

void WebhookReceiver::serve(int fd) {
  SSL* ssl = nullptr;
  if (tls_) {
    ssl = SSL_new(tls_);
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {
      SSL_free(ssl);
      ::shutdown(fd, SHUT_RDWR);
      return;  // kited refused the certificate: nothing to answer
    }
  }
  std::string buffer, head, body;
  bool keep = true;
  while (keep && !stopping_ && read_request(fd, ssl, buffer, head, body))
    answer(fd, ssl, head, body, keep);
  if (ssl) SSL_free(ssl);
  ::shutdown(fd, SHUT_RDWR);  // closed by the destructor's join: the fd number is not reused
}

bool WebhookReceiver::read_request(int fd, SSL* ssl, std::string& buffer, std::string& head,
                                   std::string& body) {
  char chunk[16384];
  std::size_t end = 0;
  while ((end = buffer.find("\r\n\r\n")) == std::string::npos) {
    const long n = receive(fd, ssl, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  head = buffer.substr(0, end + 2);
  const std::size_t length = std::stoul(header(head, "content-length"));
  while (buffer.size() < end + 4 + length) {
    const long n = receive(fd, ssl, chunk, sizeof chunk);
    if (n <= 0) return false;
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  body = buffer.substr(end + 4, length);
  buffer.erase(0, end + 4 + length);
  return true;
}

bool WebhookReceiver::verified(const std::string& head, const std::string& body) const {
  const std::string timestamp = header(head, "kite-timestamp");
  if (timestamp.empty() || timestamp.find_first_not_of("0123456789") != std::string::npos)
    return false;  // unsigned (another service standing in) or malformed
  const std::string message = timestamp + "." + body;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(EVP_sha256(), secret_.data(), static_cast<int>(secret_.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &size);
  std::string expected = "v1=";
  for (unsigned int i = 0; i < size; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    expected += kHex[mac[i] >> 4];
    expected += kHex[mac[i] & 0xf];
  }
  const long long age = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count() -
                        std::stoll(timestamp);
  return header(head, "kite-signature") == expected && age >= -5 && age <= 300;
}

void WebhookReceiver::answer(int fd, SSL* ssl, const std::string& head, const std::string& body,
                             bool& keep) {
  const Mode mode = mode_;
  {
    std::lock_guard lock(mutex_);
    ++counts_.requests;
    if (!verified(head, body)) ++counts_.bad_signatures;
  }
  if (mode == Mode::Close) {
    std::lock_guard lock(mutex_);
    ++counts_.closed;
    keep = false;
    return;
  }
  if (mode == Mode::Fail500) {
    {
      std::lock_guard lock(mutex_);
      ++counts_.answered_500;
    }
    send_all(fd, ssl, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops");
    return;
  }
  if (mode == Mode::Slow) {
    std::this_thread::sleep_for(std::chrono::milliseconds(slow_ms_.load()));
    std::lock_guard lock(mutex_);
    ++counts_.answered_slow;
  }
  // A slow answer kited gave up on is still kept: kited sends the batch again, and the test
  // counts first appearances.
  auto json = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  {
    std::lock_guard lock(mutex_);
    if (json.is_object() && json.contains("events"))
      for (auto& event : json["events"]) events_.push_back(event);
    requests_.push_back({head, json});
  }
  send_all(fd, ssl, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
}

WebhookReceiver::Counts WebhookReceiver::counts() const {
  std::lock_guard lock(mutex_);
  return counts_;
}

std::vector<nlohmann::json> WebhookReceiver::events() const {
  std::lock_guard lock(mutex_);
  return events_;
}

std::vector<WebhookReceiver::Request> WebhookReceiver::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

}  // namespace kite::it
