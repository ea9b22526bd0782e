#include "cluster/forwarded_message.h"

#include <algorithm>

namespace kite::server::cluster {
namespace {

constexpr std::size_t kMaxField = 0xffff;

bool fits(std::string_view a, std::string_view b, std::string_view c) {
  return a.size() <= kMaxField && b.size() <= kMaxField && c.size() <= kMaxField;
}

void append_uint(std::string& out, std::uint64_t value, int bytes) {
  for (int shift = 8 * (bytes - 1); shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((value >> shift) & 0xff));
}

void append_field(std::string& out, std::string_view field) {
  append_uint(out, field.size(), 2);
  out.append(field);
}

bool take_uint(std::string_view& rest, int bytes, std::uint64_t& value) {
  if (rest.size() < static_cast<std::size_t>(bytes)) return false;
  value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | static_cast<std::uint8_t>(rest[i]);
  rest.remove_prefix(bytes);
  return true;
}

bool take_field(std::string_view& rest, std::string_view& field) {
  std::uint64_t length = 0;
  if (!take_uint(rest, 2, length) || rest.size() < length) return false;
  field = rest.substr(0, length);
  rest.remove_prefix(length);
  return true;
}

// The text after its kind letter, or false if it is not of that kind.
bool body_of(std::string_view text, char kind, std::string_view& rest) {
  if (text.empty() || text.front() != kind) return false;
  rest = text.substr(1);
  return true;
}

bool take_flag(std::string_view& rest, bool& flag) {
  std::uint64_t value = 0;
  if (!take_uint(rest, 1, value) || value > 1) return false;
  flag = value == 1;
  return true;
}

bool take_string(std::string_view& rest, std::string& field) {
  std::string_view view;
  if (!take_field(rest, view)) return false;
  field.assign(view);
  return true;
}

bool take_message(std::string_view& rest, EveryoneMessage& m) {
  std::uint64_t qos = 0, payload_size = 0;
  if (!take_uint(rest, 1, qos) || qos > 1 || !take_uint(rest, 8, m.ttl_ms) ||
      !take_uint(rest, 8, m.fallback_after_ms) || !take_flag(rest, m.fallback_cancel) ||
      !take_string(rest, m.topic) || !take_string(rest, m.content_type) ||
      !take_string(rest, m.key) || !take_string(rest, m.idempotency_key) ||
      !take_uint(rest, 4, payload_size) || rest.size() < payload_size)
    return false;
  m.qos = static_cast<std::uint8_t>(qos);
  m.payload.assign(rest.substr(0, payload_size));
  rest.remove_prefix(payload_size);
  return true;
}

}  // namespace

std::string encode_everyone(std::string_view origin, std::span<const EveryoneMessage> messages) {
  if (messages.empty() || messages.size() > kMaxField || !fits(origin, {}, {})) return {};
  std::string out(1, 'e');
  append_field(out, origin);
  append_uint(out, messages.size(), 2);
  for (const EveryoneMessage& m : messages) {
    if (m.qos > 1 || !fits(m.topic, m.content_type, m.key) || !fits(m.idempotency_key, {}, {}) ||
        m.payload.size() > 0xffffffffu)
      return {};
    append_uint(out, m.qos, 1);
    append_uint(out, m.ttl_ms, 8);
    append_uint(out, m.fallback_after_ms, 8);
    append_uint(out, m.fallback_cancel ? 1 : 0, 1);
    append_field(out, m.topic);
    append_field(out, m.content_type);
    append_field(out, m.key);
    append_field(out, m.idempotency_key);
    append_uint(out, m.payload.size(), 4);
    out.append(m.payload);
  }
  return out;
}

bool decode_everyone(std::string_view text, std::string& origin,
                     std::vector<EveryoneMessage>& messages) {
  std::string_view rest, from;
  std::uint64_t count = 0;
  if (!body_of(text, 'e', rest) || !take_field(rest, from) || from.empty() ||
      !take_uint(rest, 2, count) || count == 0)
    return false;
  std::vector<EveryoneMessage> decoded;
  decoded.reserve(std::min<std::size_t>(count, rest.size() / 30));  // 30 bytes at least each
  for (std::uint64_t i = 0; i < count; ++i)
    if (!take_message(rest, decoded.emplace_back())) return false;
  if (!rest.empty()) return false;
  origin.assign(from);
  messages = std::move(decoded);
  return true;
}

std::string encode_forwarded(const ForwardedMessage& message) {
  if (message.devices.empty() || message.devices.size() > kMaxField ||
      !fits(message.topic, message.content_type, {}))
    return {};
  std::string out(1, 'q');
  append_uint(out, message.devices.size(), 2);
  for (std::string_view device : message.devices) {
    if (device.empty() || !fits(device, {}, {})) return {};
    append_field(out, device);
  }
  append_field(out, message.topic);
  append_field(out, message.content_type);
  out.append(message.payload);
  return out;
}

std::string encode_command(const ForwardedCommand& command) {
  if (!fits(command.origin, command.device, command.name)) return {};
  std::string out(1, 'c');
  append_uint(out, command.id, 8);
  append_uint(out, command.timeout_ms, 4);
  append_field(out, command.origin);
  append_field(out, command.device);
  append_field(out, command.name);
  out.append(command.payload);
  return out;
}

std::string encode_reply(const CommandReply& reply) {
  if (!fits(reply.detail, {}, {})) return {};
  std::string out(1, 'a');
  append_uint(out, reply.id, 8);
  append_uint(out, reply.kind, 1);
  append_uint(out, reply.status, 2);
  append_field(out, reply.detail);
  out.append(reply.payload);
  return out;
}

bool decode_forwarded(std::string_view text, ForwardedMessage& message) {
  std::string_view rest;
  std::uint64_t count = 0;
  if (!body_of(text, 'q', rest) || !take_uint(rest, 2, count) || count == 0) return false;
  ForwardedMessage decoded;
  decoded.devices.reserve(std::min<std::size_t>(count, rest.size() / 3));  // 3 bytes at least each
  for (std::uint64_t i = 0; i < count; ++i) {
    std::string_view device;
    if (!take_field(rest, device) || device.empty()) return false;
    decoded.devices.push_back(device);
  }
  if (!take_field(rest, decoded.topic) || !take_field(rest, decoded.content_type)) return false;
  decoded.payload = rest;
  message = std::move(decoded);
  return true;
}

std::string encode_membership(const MembershipChange& change) {
  if (!fits(change.origin, change.group, {})) return {};
  std::string out(1, 'g');
  append_uint(out, change.member ? 1 : 0, 1);
  append_field(out, change.origin);
  append_field(out, change.group);
  out.append(change.device);
  return out;
}

bool decode_membership(std::string_view text, MembershipChange& change) {
  std::string_view rest;
  std::uint64_t member = 0;
  MembershipChange decoded;
  if (!body_of(text, 'g', rest) || !take_uint(rest, 1, member) || member > 1 ||
      !take_field(rest, decoded.origin) || !take_field(rest, decoded.group) ||
      decoded.origin.empty() || decoded.group.empty() || rest.empty())
    return false;
  decoded.member = member == 1;
  decoded.device = rest;
  change = decoded;
  return true;
}

std::string encode_wakeups(const std::vector<std::string_view>& devices) {
  if (devices.empty()) return {};
  std::string out(1, 'w');
  for (std::size_t i = 0; i < devices.size(); ++i) {
    if (devices[i].empty() || devices[i].find('\0') != std::string_view::npos) return {};
    if (i > 0) out.push_back('\0');
    out.append(devices[i]);
  }
  return out;
}

bool decode_wakeups(std::string_view text, std::vector<std::string_view>& devices) {
  std::string_view rest;
  if (!body_of(text, 'w', rest)) return false;
  std::vector<std::string_view> decoded;
  for (;;) {
    const std::size_t end = rest.find('\0');
    const std::string_view device = rest.substr(0, end);
    if (device.empty()) return false;
    decoded.push_back(device);
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  devices = std::move(decoded);
  return true;
}

bool decode_command(std::string_view text, ForwardedCommand& command) {
  std::string_view rest;
  ForwardedCommand decoded;
  std::uint64_t timeout = 0;
  if (!body_of(text, 'c', rest) || !take_uint(rest, 8, decoded.id) ||
      !take_uint(rest, 4, timeout) || !take_field(rest, decoded.origin) ||
      !take_field(rest, decoded.device) || !take_field(rest, decoded.name) ||
      decoded.origin.empty() || decoded.device.empty())
    return false;
  decoded.timeout_ms = static_cast<std::uint32_t>(timeout);
  decoded.payload = rest;
  command = decoded;
  return true;
}

bool decode_reply(std::string_view text, CommandReply& reply) {
  std::string_view rest;
  CommandReply decoded;
  std::uint64_t kind = 0, status = 0;
  if (!body_of(text, 'a', rest) || !take_uint(rest, 8, decoded.id) || !take_uint(rest, 1, kind) ||
      !take_uint(rest, 2, status) || !take_field(rest, decoded.detail) ||
      kind > CommandReply::kMaxKind)
    return false;
  decoded.kind = static_cast<std::uint8_t>(kind);
  decoded.status = static_cast<std::uint16_t>(status);
  decoded.payload = rest;
  reply = decoded;
  return true;
}

}  // namespace kite::server::cluster
