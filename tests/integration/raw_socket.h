// A plain loopback TCP connection for sending arbitrary bytes to kited (bad input, handshakes
// written by hand) and reading what it answers; plus the decoding of those answers into the
// reason codes of Error and Goaway frames, with the protocol core's own decoders.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "kite/protocol/reason.h"

namespace kite::it {

using Bytes = std::vector<std::uint8_t>;

// A connected TCP socket to 127.0.0.1:`port`, from `source_ip` if not empty (127.0.0.x).
// Throws on failure. The socket is left blocking.
int connect_tcp(std::uint16_t port, const std::string& source_ip = {}, int rcvbuf = 0);

class RawSocket {
 public:
  RawSocket(std::uint16_t port, const std::string& source_ip = {});
  ~RawSocket();
  RawSocket(const RawSocket&) = delete;
  RawSocket& operator=(const RawSocket&) = delete;

  int fd() const { return fd_; }
  // Writes every byte; false if the peer has closed (no SIGPIPE).
  bool send(std::span<const std::uint8_t> bytes);
  // Reads what arrives within `timeout_ms` (at least one read); appends to received().
  // Returns false once the peer has closed the stream (EOF or reset).
  bool read_for(int timeout_ms);
  // Reads until the peer closes or `timeout_ms` passes; true if it closed.
  bool read_until_closed(int timeout_ms);
  bool peer_closed() const { return closed_; }
  const Bytes& received() const { return received_; }

 private:
  int fd_;
  bool closed_ = false;
  Bytes received_;
};

struct PeerGoodbye {
  bool goaway = false;  // a Goaway frame (else an Error frame)
  protocol::Reason reason = protocol::Reason::None;
  std::string message;
};

// One frame whose body is `body` compressed with zstd, as a device may send it (bombs included:
// nothing checks the size against a limit); empty if zstd failed.
Bytes compressed_frame(std::span<const std::uint8_t> body);

// The first Error or Goaway frame in a byte stream from kited; nullopt if there is none.
std::optional<PeerGoodbye> goodbye_in(std::span<const std::uint8_t> stream);

// What the protocol core itself says about `stream` as received by a fresh server session
// before its handshake: the first decoding error (header or body), or None.
protocol::Reason local_decode_error(std::span<const std::uint8_t> stream, std::uint32_t max_body);

}  // namespace kite::it
