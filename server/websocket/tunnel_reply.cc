#include "websocket/tunnel_reply.h"

#include "http/message.h"
#include "websocket/upgrade.h"

namespace kite::server::websocket {

TunnelReplyLayer::TunnelReplyLayer(std::vector<std::pair<std::string, std::string>> cors)
    : cors_(std::move(cors)) {}

void TunnelReplyLayer::answer(const TunnelAnswer& answer) {
  if (answered_) return;
  answered_ = true;
  http::Headers headers = cors_;
  std::string bytes;
  if (answer.status == 204 || answer.status == 200) {
    if (answer.status == 200) {
      headers.emplace_back("Content-Type", "application/octet-stream");
      headers.emplace_back("Cache-Control", "no-store");
    }
    http::HttpResponse response{
        .status = answer.status, .headers = std::move(headers), .body = answer.body};
    bytes = http::serialize_response(response, /*close=*/true);
  } else {
    if (answer.retry_after_s != 0)
      headers.emplace_back("Retry-After", std::to_string(answer.retry_after_s));
    Answer refused = refusal(answer.status, answer.detail, std::move(headers));
    bytes = std::move(refused.bytes);
    failure_ = "tunnel request: " + refused.reason;
  }
  output_.assign(bytes.begin(), bytes.end());
}

void TunnelReplyLayer::write(std::span<const std::uint8_t>, std::vector<std::uint8_t>& out) {
  out.insert(out.end(), output_.begin(), output_.end());
  std::vector<std::uint8_t>().swap(output_);
}

}  // namespace kite::server::websocket
