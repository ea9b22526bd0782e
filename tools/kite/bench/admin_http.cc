#include "bench/admin_http.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace kite::bench {
namespace {

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

// Content-Length of a header block (lower-cased names are not assumed), or -1.
long content_length(std::string_view headers) {
  constexpr std::string_view kName = "content-length:";
  for (std::size_t at = 0; at < headers.size();) {
    std::size_t end = headers.find("\r\n", at);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(at, end - at);
    if (line.size() > kName.size() && strncasecmp(line.data(), kName.data(), kName.size()) == 0)
      return std::strtol(std::string(line.substr(kName.size())).c_str(), nullptr, 10);
    at = end + 2;
  }
  return -1;
}

}  // namespace

AdminHttp::AdminHttp(std::string url, std::string token) : token_(std::move(token)) {
  std::string_view rest = url;
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  const std::size_t colon = rest.rfind(':');
  host_ = std::string(rest.substr(0, colon));
  port_ =
      colon == std::string_view::npos ? 80 : std::atoi(std::string(rest.substr(colon + 1)).c_str());
}

AdminHttp::~AdminHttp() {
  disconnect();
}

void AdminHttp::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
}

std::string AdminHttp::connect_once() {
  if (fd_ >= 0) return {};
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port_));
  if (::inet_pton(AF_INET, host_.c_str(), &address.sin_addr) != 1)
    return "the admin API address must be http://IPv4:PORT, not " + host_;
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return std::strerror(errno);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::string error = std::strerror(errno);
    disconnect();
    return "cannot connect to the admin API: " + error;
  }
  return {};
}

HttpAnswer AdminHttp::request(std::string_view method, std::string_view path,
                              std::string_view body) {
  if (auto error = connect_once(); !error.empty()) return {0, error};
  std::string head;
  head.reserve(256);
  head.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_);
  head.append("\r\nAuthorization: Bearer ").append(token_);
  head.append("\r\nContent-Type: application/json\r\nContent-Length: ");
  head.append(std::to_string(body.size())).append("\r\n\r\n");
  if (!write_all(fd_, head) || !write_all(fd_, body)) {
    disconnect();
    return {0, "the admin API connection closed while sending"};
  }
  // Read the header block, then Content-Length bytes of body.
  std::size_t header_end;
  char chunk[65536];
  long length = -1;
  for (;;) {
    header_end = buffer_.find("\r\n\r\n");
    if (header_end != std::string::npos) {
      length = content_length(std::string_view(buffer_).substr(0, header_end));
      if (length < 0) {
        disconnect();
        return {0, "an answer without Content-Length"};
      }
      if (buffer_.size() >= header_end + 4 + static_cast<std::size_t>(length)) break;
    }
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      disconnect();
      return {0, "the admin API connection closed before the answer"};
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
  HttpAnswer answer;
  if (buffer_.size() > 12) answer.status = std::atoi(buffer_.c_str() + 9);  // "HTTP/1.1 200"
  answer.body = buffer_.substr(header_end + 4, static_cast<std::size_t>(length));
  buffer_.erase(0, header_end + 4 + static_cast<std::size_t>(length));
  return answer;
}

}  // namespace kite::bench
