#include "websocket/tunnel_post.h"

#include "http/message.h"
#include "websocket/upgrade.h"

namespace kite::server::websocket {

TunnelPostLayer::TunnelPostLayer(std::vector<std::pair<std::string, std::string>> cors)
    : cors_(std::move(cors)) {}

void TunnelPostLayer::answer(const TunnelAnswer& answer) {
  if (answered_) return;
  answered_ = true;
  http::Headers headers = cors_;
  std::string bytes;
  if (answer.status == 204) {
    http::HttpResponse response{.status = 204, .headers = std::move(headers), .body = {}};
    bytes = http::serialize_response(response, /*close=*/true);
  } else {
    if (answer.retry_after_s != 0)
      headers.emplace_back("Retry-After", std::to_string(answer.retry_after_s));
    Answer refused = refusal(answer.status, answer.detail, std::move(headers));
    bytes = std::move(refused.bytes);
    failure_ = "tunnel uplink: " + refused.reason;
  }
  output_.assign(bytes.begin(), bytes.end());
}

void TunnelPostLayer::write(std::span<const std::uint8_t>, std::vector<std::uint8_t>& out) {
  out.insert(out.end(), output_.begin(), output_.end());
  output_.clear();
}

}  // namespace kite::server::websocket
