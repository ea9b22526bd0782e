// WebSocketLayer: Kite over RFC 6455, as a layer of the wire pipe (kite/tls/wire_layer.h). After
// the opening (an HTTP upgrade: ClientOpening here, kited's in server/websocket/), every binary
// payload byte goes to the session as it arrives and the session's bytes leave as binary
// messages, one per write: the session, its acks, credit, resume and compression are the same
// code as over TCP.
//
// Rules it keeps:
//  - pings are answered here, the session never sees them;
//  - a peer's Close is answered with the same code and ends the layer; a peer that breaks the
//    framing rules (frame_reader.h) gets a Close with the code for it and ends it too;
//  - the session's goodbye goes before the layer's: the Close frame, with 4000 + the session's
//    Kite reason (1000 for NormalClose) and the reason's name, is the last thing written, and
//    nothing follows it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kite/tls/wire_layer.h"
#include "kite/websocket/frame_reader.h"

namespace kite::websocket {

// The HTTP exchange before the frames.
class Opening {
 public:
  enum class Step : std::uint8_t { More, Open, Refused };
  virtual ~Opening() = default;
  // What this end sends first (a client's request), appended to `out`.
  virtual void start(std::vector<std::uint8_t>& /*out*/) {}
  // Bytes from the peer: `used` is set to how many belong to the opening (the rest are frames);
  // `out` takes the answer to send (a server's 101, or its refusal before Refused).
  virtual Step receive(std::span<const std::uint8_t> bytes, std::size_t& used,
                       std::vector<std::uint8_t>& out) = 0;
  virtual std::string_view failure() const = 0;  // after Refused: why, for a log or the SDK
};

// The close code a session's end travels as.
std::uint16_t close_code_for(protocol::Reason reason);

class WebSocketLayer final : public tls::WireLayer, private FrameSink {
 public:
  WebSocketLayer(Side side, std::unique_ptr<Opening> opening);
  // Opened by the host's own HTTP exchange (kited's entry layer): `answer`, the 101, goes first.
  WebSocketLayer(Side side, std::string_view answer);

  void receive(std::span<std::uint8_t> bytes, protocol::Session* session,
               protocol::Millis now) override;
  bool open() const override { return !opening_ && !ended_; }
  bool ended() const override { return ended_; }
  std::string why() const override;
  void write(std::span<const std::uint8_t> session_bytes, std::vector<std::uint8_t>& out) override;
  bool has_output() const override { return !output_.empty() || goodbye_code_ != 0; }
  void end(protocol::Reason reason) override;

 private:
  void on_binary(std::span<std::uint8_t> payload) override;
  void on_ping(std::span<const std::uint8_t> payload) override;
  void on_close(std::uint16_t code, std::string_view reason) override;
  void say_goodbye(std::uint16_t code, std::string_view reason);
  bool said_goodbye() const { return goodbye_code_ != 0 || close_written_; }

  // Kept small: it lives as long as the connection. Texts are static (a reason's name, a rule).
  Side side_;
  bool ended_ = false;
  bool close_written_ = false;         // nothing may follow it
  std::uint16_t goodbye_code_ = 0;     // a Close to write after everything else; 0: none
  std::uint16_t peer_close_code_ = 0;  // the peer's Close, when that ended the layer
  std::string_view goodbye_text_;      // the Close's reason text
  std::string_view fault_;             // the rule the peer broke, when that ended the layer
  std::unique_ptr<Opening> opening_;   // until it opens (after a refusal, for its failure())
  FrameReader reader_;
  std::vector<std::uint8_t> output_;      // the opening's answer, pongs; freed once written
  protocol::Session* session_ = nullptr;  // during receive() only
  protocol::Millis now_ = 0;
};

}  // namespace kite::websocket
