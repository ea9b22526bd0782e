#include "cluster/forwarded_message.h"

#include <cstdint>

namespace kite::server::cluster {
namespace {

constexpr std::size_t kMaxField = 0xffff;

void append_field(std::string& out, std::string_view field) {
  out.push_back(static_cast<char>(field.size() >> 8));
  out.push_back(static_cast<char>(field.size() & 0xff));
  out.append(field);
}

bool take_field(std::string_view& rest, std::string_view& field) {
  if (rest.size() < 2) return false;
  const std::size_t length = (static_cast<std::size_t>(static_cast<std::uint8_t>(rest[0])) << 8) |
                             static_cast<std::uint8_t>(rest[1]);
  if (rest.size() - 2 < length) return false;
  field = rest.substr(2, length);
  rest.remove_prefix(2 + length);
  return true;
}

}  // namespace

std::string encode_forwarded(const ForwardedMessage& message) {
  if (message.device.size() > kMaxField || message.topic.size() > kMaxField ||
      message.content_type.size() > kMaxField)
    return {};
  std::string out(1, 'q');
  out.reserve(7 + message.device.size() + message.topic.size() + message.content_type.size() +
              message.payload.size());
  append_field(out, message.device);
  append_field(out, message.topic);
  append_field(out, message.content_type);
  out.append(message.payload);
  return out;
}

bool decode_forwarded(std::string_view text, ForwardedMessage& message) {
  if (text.empty() || text.front() != 'q') return false;
  std::string_view rest = text.substr(1);
  ForwardedMessage decoded;
  if (!take_field(rest, decoded.device) || !take_field(rest, decoded.topic) ||
      !take_field(rest, decoded.content_type) || decoded.device.empty())
    return false;
  decoded.payload = rest;
  message = decoded;
  return true;
}

}  // namespace kite::server::cluster
