#include "websocket/sse_layer.h"

#include <sodium.h>

#include "kite/protocol/reason.h"

namespace kite::server::websocket {
namespace {

void append(std::vector<std::uint8_t>& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

void append_base64(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  const std::size_t at = out.size();
  const std::size_t encoded =
      sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL);
  out.resize(at + encoded);
  sodium_bin2base64(reinterpret_cast<char*>(out.data() + at), encoded, bytes.data(), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.pop_back();  // the terminating NUL
}

}  // namespace

SseLayer::SseLayer(std::string_view answer_head, TunnelName name) : secret_(name.secret) {
  append(output_, answer_head);
  append(output_, "\r\nevent: tunnel\ndata: ");
  append(output_, name.text());
  append(output_, "\n\n");
}

void SseLayer::receive(std::span<std::uint8_t> bytes, protocol::Session*, protocol::Millis) {
  if (!bytes.empty()) ended_ = true;
}

std::string SseLayer::why() const {
  if (!ended_) return {};
  return "bytes on an event stream's connection: send the uplink as POST {path}/sse/{tunnel}";
}

void SseLayer::write(std::span<const std::uint8_t> session_bytes, std::vector<std::uint8_t>& out) {
  if (!output_.empty()) {
    out.insert(out.end(), output_.begin(), output_.end());
    std::vector<std::uint8_t>().swap(output_);
  }
  if (close_written_) return;
  if (!session_bytes.empty()) {
    append(out, "data: ");
    append_base64(out, session_bytes);
    append(out, "\n\n");
  }
  if (!goodbye_pending_) return;
  append(out, "event: close\ndata: ");
  append(out, goodbye_text_);
  append(out, "\n\n");
  goodbye_pending_ = false;
  close_written_ = true;
}

void SseLayer::end(protocol::Reason reason) {
  if (goodbye_pending_ || close_written_) return;
  goodbye_text_ =
      std::to_string(static_cast<int>(reason)) + " " + std::string(protocol::reason_name(reason));
  goodbye_pending_ = true;
}

std::optional<std::size_t> SseLayer::accept_uplink(std::uint64_t offset, std::size_t size) {
  return take_uplink(uplink_bytes_, offset, size);
}

}  // namespace kite::server::websocket
