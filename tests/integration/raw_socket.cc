// Raw loopback sockets and the decoding of kited's goodbye frames (see raw_socket.h).
#include "raw_socket.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>

#include "kite/protocol/frame_codec.h"
#include "kite/protocol/frame_decoder.h"

namespace kite::it {

int connect_tcp(std::uint16_t port, const std::string& source_ip, int rcvbuf) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (!source_ip.empty()) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source_ip.c_str(), &local.sin_addr);
    if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      int err = errno;
      ::close(fd);
      throw std::runtime_error("bind " + source_ip + ": " + std::strerror(err));
    }
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    int err = errno;
    ::close(fd);
    throw std::runtime_error("connect to port " + std::to_string(port) + ": " + std::strerror(err));
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

RawSocket::RawSocket(std::uint16_t port, const std::string& source_ip)
    : fd_(connect_tcp(port, source_ip)) {}

RawSocket::~RawSocket() {
  ::close(fd_);
}

bool RawSocket::send(std::span<const std::uint8_t> bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

bool RawSocket::read_for(int timeout_ms) {
  if (closed_) return false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    pollfd p{fd_, POLLIN, 0};
    int ready = ::poll(&p, 1, static_cast<int>(std::max<long>(left, 0)));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return true;
    std::uint8_t buffer[65536];
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      closed_ = true;
      return false;
    }
    received_.insert(received_.end(), buffer, buffer + n);
    return true;
  }
}

bool RawSocket::read_until_closed(int timeout_ms) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!closed_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left <= 0) return false;
    read_for(static_cast<int>(left));
  }
  return true;
}

namespace {

// An 8-aligned copy: the decoder returns bodies in place only when they are aligned.
struct Aligned {
  explicit Aligned(std::span<const std::uint8_t> bytes) : words((bytes.size() + 7) / 8 + 1) {
    std::memcpy(words.data(), bytes.data(), bytes.size());
    view = {reinterpret_cast<const std::uint8_t*>(words.data()), bytes.size()};
  }
  std::vector<std::uint64_t> words;
  std::span<const std::uint8_t> view;
};

}  // namespace

Bytes compressed_frame(std::span<const std::uint8_t> body) {
  protocol::Compressor compressor;
  protocol::CompressionSettings settings;
  settings.threshold = 0;
  settings.back_off = false;
  protocol::AlignedBuffer compressed;
  std::uint16_t dictionary = 0;
  if (!compressor.compress(body, settings, compressed, dictionary)) return {};
  Bytes frame;
  protocol::append_raw_frame(
      {static_cast<std::uint32_t>(compressed.size()), protocol::flags::kCompressed, 0},
      compressed.view(), frame);
  return frame;
}

std::optional<PeerGoodbye> goodbye_in(std::span<const std::uint8_t> stream) {
  Aligned copy(stream);
  protocol::FrameDecoder decoder(protocol::kAbsoluteMaxBody);
  protocol::BodyDecoder bodies;
  decoder.feed(copy.view);
  for (;;) {
    auto result = decoder.next();
    if (result.status != protocol::DecodeResult::Status::Frame) return std::nullopt;
    const wire::Frame* frame = nullptr;
    if (bodies.decode(result.frame, protocol::kAbsoluteMaxBody, frame) != protocol::Reason::None)
      return std::nullopt;
    if (const auto* error = frame->message_as_Error()) {
      PeerGoodbye goodbye{false, error->reason(), {}};
      if (error->message()) goodbye.message = error->message()->str();
      return goodbye;
    }
    if (const auto* goaway = frame->message_as_Goaway()) {
      PeerGoodbye goodbye{true, goaway->reason(), {}};
      if (goaway->message()) goodbye.message = goaway->message()->str();
      return goodbye;
    }
  }
}

protocol::Reason local_decode_error(std::span<const std::uint8_t> stream, std::uint32_t max_body) {
  Aligned copy(stream);
  protocol::FrameDecoder decoder(max_body);
  protocol::BodyDecoder bodies;
  decoder.feed(copy.view);
  for (;;) {
    auto result = decoder.next();
    if (result.status == protocol::DecodeResult::Status::NeedMore) return protocol::Reason::None;
    if (result.status == protocol::DecodeResult::Status::Error) return result.error;
    const wire::Frame* frame = nullptr;
    auto reason = bodies.decode(result.frame, max_body, frame);
    if (reason != protocol::Reason::None) return reason;
  }
}

}  // namespace kite::it
