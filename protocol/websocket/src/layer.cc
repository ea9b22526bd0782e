#include "kite/websocket/layer.h"

#include <string>

#include "kite/protocol/reason.h"
#include "kite/websocket/frame_writer.h"

namespace kite::websocket {

std::uint16_t close_code_for(protocol::Reason reason) {
  if (reason == protocol::Reason::NormalClose || reason == protocol::Reason::None)
    return close_code::kNormal;
  return static_cast<std::uint16_t>(close_code::kKiteReasonBase + static_cast<int>(reason));
}

WebSocketLayer::WebSocketLayer(Side side, std::unique_ptr<Opening> opening)
    : side_(side), opening_(std::move(opening)), reader_(side) {
  opening_->start(output_);
}

WebSocketLayer::WebSocketLayer(Side side, std::string_view answer)
    : side_(side), reader_(side), output_(answer.begin(), answer.end()) {}

void WebSocketLayer::receive(std::span<std::uint8_t> bytes, protocol::Session* session,
                             protocol::Millis now) {
  if (ended_) return;
  if (opening_) {
    std::size_t used = 0;
    switch (opening_->receive(bytes, used, output_)) {
      case Opening::Step::More:
        return;
      case Opening::Step::Refused:
        ended_ = true;  // opening_ stays: why() reads its failure()
        return;
      case Opening::Step::Open:
        opening_.reset();
        bytes = bytes.subspan(used);
        break;
    }
  }
  session_ = session;
  now_ = now;
  if (auto fault = reader_.read(bytes, *this)) {
    say_goodbye(fault->code, fault->detail);
    ended_ = true;
    fault_ = fault->detail;
  }
  session_ = nullptr;
}

std::string WebSocketLayer::why() const {
  if (opening_) return std::string(opening_->failure());
  if (peer_close_code_ != 0)
    return "the peer closed the WebSocket (code " + std::to_string(peer_close_code_) + ")";
  return std::string(fault_);
}

void WebSocketLayer::write(std::span<const std::uint8_t> session_bytes,
                           std::vector<std::uint8_t>& out) {
  if (!output_.empty()) {
    out.insert(out.end(), output_.begin(), output_.end());
    std::vector<std::uint8_t>().swap(output_);  // an idle connection keeps no buffer
  }
  if (!opening_ && !close_written_ && !session_bytes.empty())
    append_frame(side_, Opcode::Binary, session_bytes, out);  // before the goodbye, if one waits
  if (goodbye_code_ == 0) return;
  append_close(side_, goodbye_code_, goodbye_text_, out);
  goodbye_code_ = 0;
  close_written_ = true;
}

void WebSocketLayer::end(protocol::Reason reason) {
  if (opening_ || said_goodbye()) return;
  say_goodbye(close_code_for(reason), protocol::reason_name(reason));
}

void WebSocketLayer::on_binary(std::span<std::uint8_t> payload) {
  if (session_) session_->receive(payload, now_);
}

void WebSocketLayer::on_ping(std::span<const std::uint8_t> payload) {
  if (!said_goodbye()) append_frame(side_, Opcode::Pong, payload, output_);
}

// 1005 (no code given) is answered with 1000: 1005 may not be sent.
void WebSocketLayer::on_close(std::uint16_t code, std::string_view) {
  say_goodbye(code == 1005 ? close_code::kNormal : code, {});
  ended_ = true;
  peer_close_code_ = code;
}

// `reason` is static text: a reason's name, a rule's words.
void WebSocketLayer::say_goodbye(std::uint16_t code, std::string_view reason) {
  if (said_goodbye()) return;
  goodbye_code_ = code;
  goodbye_text_ = reason;
}

}  // namespace kite::websocket
