#include "webhooks/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace kite::server::webhooks {
namespace {

std::string openssl_error(std::string_view what) {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  char text[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, text, sizeof text);
  return std::string(what) + ": " + text;
}

bool is_ip_address(const std::string& host) {
  in6_addr v6{};
  in_addr v4{};
  return inet_pton(AF_INET, host.c_str(), &v4) == 1 || inet_pton(AF_INET6, host.c_str(), &v6) == 1;
}

}  // namespace

std::string make_tls_client(const std::string& ca_file, TlsClient& out) {
  out.ctx.reset(SSL_CTX_new(TLS_client_method()));
  if (!out.ctx) return openssl_error("TLS context");
  SSL_CTX_set_min_proto_version(out.ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_verify(out.ctx.get(), SSL_VERIFY_PEER, nullptr);
  const int loaded = ca_file.empty()
                         ? SSL_CTX_set_default_verify_paths(out.ctx.get())
                         : SSL_CTX_load_verify_locations(out.ctx.get(), ca_file.c_str(), nullptr);
  if (loaded != 1) return openssl_error("CA certificates " + ca_file);
  return {};
}

std::string Connection::wait(short events, Clock::time_point deadline) const {
  while (true) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return "timed out";
    if (cancel_ != nullptr && cancel_->load()) return "stopped";
    pollfd entry{fd_, events, 0};
    const int ready =
        ::poll(&entry, 1, static_cast<int>(std::min<long long>(left, kCancelCheckMs)));
    if (ready > 0) return {};
    if (ready < 0 && errno != EINTR) return std::string("poll: ") + std::strerror(errno);
  }
}

std::string Connection::connect_tcp(Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url_.port);
  if (int status = ::getaddrinfo(url_.host.c_str(), port.c_str(), &hints, &found); status != 0)
    return std::string("resolving ") + url_.host + ": " + ::gai_strerror(status);
  std::string error = "no address";
  for (addrinfo* at = found; at != nullptr && fd_ < 0; at = at->ai_next) {
    fd_ = ::socket(at->ai_family, at->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) continue;
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (::connect(fd_, at->ai_addr, at->ai_addrlen) != 0 && errno != EINPROGRESS) {
      error = std::string("connect: ") + std::strerror(errno);
    } else if (error = wait(POLLOUT, deadline); error.empty()) {
      int code = 0;
      socklen_t size = sizeof code;
      ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &code, &size);
      if (code == 0) break;
      error = std::string("connect: ") + std::strerror(code);
    }
    ::close(fd_);
    fd_ = -1;
  }
  ::freeaddrinfo(found);
  return fd_ >= 0 ? std::string() : error;
}

std::string Connection::tls_retry(int result, Clock::time_point deadline) {
  switch (SSL_get_error(ssl_, result)) {
    case SSL_ERROR_WANT_READ:
      return wait(POLLIN, deadline);
    case SSL_ERROR_WANT_WRITE:
      return wait(POLLOUT, deadline);
    case SSL_ERROR_ZERO_RETURN:
      return "closed by the receiver";
    case SSL_ERROR_SYSCALL:
      ERR_clear_error();
      return errno != 0 ? std::string("TLS: ") + std::strerror(errno) : "closed by the receiver";
    default:
      return openssl_error("TLS");
  }
}

std::string Connection::handshake(Clock::time_point deadline) {
  ssl_ = SSL_new(tls_ctx_);
  if (ssl_ == nullptr) return openssl_error("TLS");
  SSL_set_fd(ssl_, fd_);
  if (is_ip_address(url_.host)) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), url_.host.c_str());
  } else {
    // SSL_set_tlsext_host_name() is a macro with a C cast (-Wold-style-cast): its call itself.
    SSL_ctrl(ssl_, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(url_.host.c_str()));
    SSL_set1_host(ssl_, url_.host.c_str());
  }
  while (true) {
    ERR_clear_error();
    errno = 0;
    const int result = SSL_connect(ssl_);
    if (result == 1) return {};
    if (SSL_get_error(ssl_, result) == SSL_ERROR_SSL && SSL_get_verify_result(ssl_) != X509_V_OK)
      return std::string("TLS: the receiver's certificate does not verify: ") +
             X509_verify_cert_error_string(SSL_get_verify_result(ssl_));
    if (auto error = tls_retry(result, deadline); !error.empty()) return error;
  }
}

std::string Connection::open(Clock::time_point deadline) {
  if (is_open()) return {};
  std::string error = connect_tcp(deadline);
  if (error.empty() && tls_ctx_ != nullptr) error = handshake(deadline);
  if (!error.empty()) close();
  return error;
}

std::string Connection::write_all(std::string_view bytes, Clock::time_point deadline) {
  while (!bytes.empty()) {
    long written = 0;
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      const int result = SSL_write(ssl_, bytes.data(), static_cast<int>(bytes.size()));
      if (result <= 0) {
        if (auto error = tls_retry(result, deadline); !error.empty()) return error;
        continue;
      }
      written = result;
    } else {
      written = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (written < 0) {
        if (errno != EAGAIN && errno != EINTR) return std::string("send: ") + std::strerror(errno);
        if (auto error = wait(POLLOUT, deadline); !error.empty()) return error;
        continue;
      }
    }
    bytes.remove_prefix(static_cast<std::size_t>(written));
  }
  return {};
}

long Connection::read_some(char* buffer, std::size_t size, Clock::time_point deadline,
                           std::string& error) {
  while (true) {
    if (ssl_ != nullptr) {
      ERR_clear_error();
      errno = 0;
      const int result = SSL_read(ssl_, buffer, static_cast<int>(size));
      if (result > 0) return result;
      const int code = SSL_get_error(ssl_, result);
      if (code == SSL_ERROR_ZERO_RETURN) return 0;
      if (code == SSL_ERROR_SYSCALL && errno == 0) return 0;  // closed without close_notify
      if (error = tls_retry(result, deadline); !error.empty()) return -1;
      continue;
    }
    const long got = ::recv(fd_, buffer, size, 0);
    if (got >= 0) return got;
    if (errno != EAGAIN && errno != EINTR) {
      error = std::string("recv: ") + std::strerror(errno);
      return -1;
    }
    if (error = wait(POLLIN, deadline); !error.empty()) return -1;
  }
}

void Connection::close() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  ssl_ = nullptr;
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

}  // namespace kite::server::webhooks
