#include "common/admin_http.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <strings.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>

#include "common/stop_signals.h"

namespace kite::cli {
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

// The value of header `name` ("content-length:", lower case with its colon) in a header block,
// whatever the case it is sent in; nullopt when it is not there.
std::optional<std::string_view> header_value(std::string_view headers, std::string_view name) {
  for (std::size_t at = 0; at < headers.size();) {
    std::size_t end = headers.find("\r\n", at);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(at, end - at);
    if (line.size() > name.size() && strncasecmp(line.data(), name.data(), name.size()) == 0)
      return line.substr(name.size());
    at = end + 2;
  }
  return std::nullopt;
}

// Content-Length of a header block, or -1.
long content_length(std::string_view headers) {
  auto value = header_value(headers, "content-length:");
  return value ? std::strtol(std::string(*value).c_str(), nullptr, 10) : -1;
}

// Whether a header block says Transfer-Encoding: chunked (an event stream).
bool is_chunked(std::string_view headers) {
  auto value = header_value(headers, "transfer-encoding:");
  return value && value->find("chunked") != std::string_view::npos;
}

void set_socket_timeout(int fd, int ms) {
  timeval limit{};
  limit.tv_sec = ms / 1000;
  limit.tv_usec = (ms % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);  // bounds connect() too
}

}  // namespace

AdminHttp::AdminHttp(std::string url, std::string token) : token_(std::move(token)) {
  std::string_view rest = url;
  if (rest.starts_with("https://")) {
    url_problem_ = "kite speaks plain http:// to the admin API (keep it on a private address)";
    return;
  }
  if (rest.starts_with("http://")) rest.remove_prefix(7);
  if (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
  std::size_t colon = rest.rfind(':');
  if (rest.starts_with('[')) {  // [IPv6]:PORT
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) {
      url_problem_ = "an unclosed '[' in the admin API address " + url;
      return;
    }
    host_ = std::string(rest.substr(1, close - 1));
    colon = rest.find(':', close);
  } else {
    host_ = std::string(rest.substr(0, colon));
  }
  port_ = colon == std::string_view::npos ? "80" : std::string(rest.substr(colon + 1));
  if (host_.empty() || port_.empty() || port_.find_first_not_of("0123456789") != std::string::npos)
    url_problem_ = "the admin API address must be http://HOST:PORT, not " + url;
}

void AdminHttp::set_timeout_ms(int ms) {
  timeout_ms_ = ms;
  if (fd_ >= 0 && ms > 0) set_socket_timeout(fd_, ms);
}

AdminHttp::~AdminHttp() {
  disconnect();
}

void AdminHttp::disconnect() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  buffer_.clear();
  stream_.reset();
}

std::string AdminHttp::connect_once() {
  if (fd_ >= 0) return {};
  if (!url_problem_.empty()) return url_problem_;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (int rc = ::getaddrinfo(host_.c_str(), port_.c_str(), &hints, &found); rc != 0)
    return "cannot resolve " + host_ + ": " + ::gai_strerror(rc);
  std::string error = "no address for " + host_;
  for (addrinfo* a = found; a != nullptr && fd_ < 0; a = a->ai_next) {
    fd_ = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd_ < 0) {
      error = std::strerror(errno);
      continue;
    }
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (timeout_ms_ > 0) set_socket_timeout(fd_, timeout_ms_);
    if (::connect(fd_, a->ai_addr, a->ai_addrlen) != 0) {
      error = errno == EINPROGRESS ? "timed out" : std::strerror(errno);
      ::close(fd_);
      fd_ = -1;
    }
  }
  ::freeaddrinfo(found);
  if (fd_ < 0) return "cannot connect to " + host_ + ":" + port_ + ": " + error;
  return {};
}

HttpAnswer AdminHttp::request(std::string_view method, std::string_view path,
                              std::string_view body) {
  const bool reused = fd_ >= 0;
  bool nothing_answered = false;
  HttpAnswer answer = exchange(method, path, body, nothing_answered);
  if (answer.status == 0 && reused && nothing_answered)
    answer = exchange(method, path, body, nothing_answered);  // see the header: stale keep-alive
  return answer;
}

std::string AdminHttp::request_head(std::string_view method, std::string_view path,
                                    std::string_view extra_headers, std::size_t body_size) const {
  std::string head;
  head.reserve(256);
  head.append(method).append(" ").append(path).append(" HTTP/1.1\r\nHost: ").append(host_);
  head.append("\r\nAuthorization: Bearer ").append(token_).append("\r\n").append(extra_headers);
  head.append("Content-Type: application/json\r\nContent-Length: ");
  head.append(std::to_string(body_size)).append("\r\n\r\n");
  return head;
}

// Waits in steps of 100 ms, checking for SIGINT/SIGTERM between them: a signal that lands just
// before a blocking recv() would otherwise wait out the whole timeout (a long-poll's 60 s).
AdminHttp::Received AdminHttp::receive() {
  constexpr int kStopCheckMs = 100;
  char chunk[65536];
  int waited_ms = 0;
  for (;;) {
    if (stop_requested()) return Received::Interrupted;
    pollfd readable{fd_, POLLIN, 0};
    const int ready = ::poll(&readable, 1, kStopCheckMs);
    if (ready == 0) {
      waited_ms += kStopCheckMs;
      if (timeout_ms_ > 0 && waited_ms >= timeout_ms_) return Received::TimedOut;
      continue;
    }
    if (ready < 0 && errno == EINTR) continue;
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0 && errno == EINTR && stop_requested()) return Received::Interrupted;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Received::TimedOut;
    if (n <= 0) return Received::Closed;
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return Received::Bytes;
  }
}

HttpAnswer AdminHttp::exchange(std::string_view method, std::string_view path,
                               std::string_view body, bool& nothing_answered) {
  nothing_answered = false;
  if (stream_) disconnect();  // a stream's connection carries nothing else
  if (auto error = connect_once(); !error.empty()) return {0, error};
  if (!write_all(fd_, request_head(method, path, {}, body.size())) || !write_all(fd_, body)) {
    nothing_answered = buffer_.empty();
    disconnect();
    return {0, "the admin API connection closed while sending"};
  }
  return read_answer(nothing_answered);
}

std::string AdminHttp::no_answer(Received why) const {
  switch (why) {
    case Received::TimedOut:
      return "no answer from the admin API within " + std::to_string(timeout_ms_) + " ms";
    case Received::Interrupted:
      return std::string("interrupted by ") + stop_signal_name();
    default:
      return "the admin API connection closed before the answer";
  }
}

HttpAnswer AdminHttp::read_answer(bool& nothing_answered) {
  // Read the header block, then Content-Length bytes of body.
  std::size_t header_end;
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
    const Received received = receive();
    if (received == Received::TimedOut || received == Received::Interrupted) {
      disconnect();
      return {0, no_answer(received)};
    }
    if (received == Received::Closed) {
      nothing_answered = buffer_.empty();
      disconnect();
      return {0, "the admin API connection closed before the answer"};
    }
  }
  HttpAnswer answer;
  if (buffer_.size() > 12) answer.status = std::atoi(buffer_.c_str() + 9);  // "HTTP/1.1 200"
  answer.body = buffer_.substr(header_end + 4, static_cast<std::size_t>(length));
  buffer_.erase(0, header_end + 4 + static_cast<std::size_t>(length));
  return answer;
}

HttpAnswer AdminHttp::open_stream(std::string_view path, std::string_view extra_headers) {
  disconnect();  // a fresh connection: one the server closed while idle would fail the start
  if (auto error = connect_once(); !error.empty()) return {0, error};
  if (!write_all(fd_, request_head("GET", path, extra_headers, 0))) {
    disconnect();
    return {0, "the admin API connection closed while sending"};
  }
  std::size_t header_end;
  while ((header_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    const Received received = receive();
    if (received == Received::Bytes) continue;
    disconnect();
    return {0, no_answer(received)};
  }
  if (!is_chunked(std::string_view(buffer_).substr(0, header_end))) {
    bool ignored = false;  // a refusal, sized by Content-Length: read whole, then done
    HttpAnswer answer = read_answer(ignored);
    disconnect();
    return answer;
  }
  HttpAnswer answer;
  answer.status = std::atoi(buffer_.c_str() + 9);  // "HTTP/1.1 200"
  answer.streaming = true;
  buffer_.erase(0, header_end + 4);
  stream_ = std::make_unique<ChunkedBody>();
  return answer;
}

StreamRead AdminHttp::read_stream(std::string& out, int wait_ms) {
  if (!stream_ || fd_ < 0) return StreamRead::Ended;
  if (buffer_.empty()) {
    pollfd readable{fd_, POLLIN, 0};
    const int ready = ::poll(&readable, 1, wait_ms);
    if (ready < 0) return errno == EINTR ? StreamRead::Interrupted : StreamRead::Failed;
    if (ready == 0) return StreamRead::Idle;
    if (receive() != Received::Bytes) {
      disconnect();
      return StreamRead::Ended;  // closed (or reset) by the server, mid-stream or not
    }
  }
  switch (stream_->feed(buffer_, out)) {
    case ChunkedBody::Result::More:
      return StreamRead::Data;
    case ChunkedBody::Result::End:
      disconnect();
      return StreamRead::Ended;
    case ChunkedBody::Result::Bad:
      break;
  }
  disconnect();
  return StreamRead::Failed;
}

}  // namespace kite::cli
