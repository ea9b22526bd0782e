#include "session_codec.h"

#include <sodium.h>

#include <cstring>
#include <string_view>

namespace kite::sdk {
namespace {

constexpr std::string_view kMagic = "KSES";
constexpr std::uint16_t kVersion = 1;
constexpr std::size_t kHeader = 4 + 2 + 2 + 4;
constexpr std::size_t kDigest = 16;
// flags, seq, ttl_ms, age_ms, and the three lengths of empty strings.
constexpr std::size_t kMinEntry = 1 + 8 + 4 + 4 + 3 * 4;

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>& out) : out_(out) {}
  template <typename T>
  void number(T value) {
    for (std::size_t i = 0; i < sizeof(T); ++i)
      out_.push_back(static_cast<std::uint8_t>(static_cast<std::uint64_t>(value) >> (8 * i)));
  }
  void text(std::string_view s) {
    number(static_cast<std::uint32_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }

 private:
  std::vector<std::uint8_t>& out_;
};

// Reads bounded by the body; the first short read poisons every later one.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}
  template <typename T>
  T number() {
    if (!ok_ || in_.size() - at_ < sizeof(T)) return fail<T>();
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      value |= static_cast<std::uint64_t>(in_[at_ + i]) << (8 * i);
    at_ += sizeof(T);
    return static_cast<T>(value);
  }
  std::string text() {
    const auto size = number<std::uint32_t>();
    if (!ok_ || in_.size() - at_ < size) return fail<std::string>();
    std::string s(reinterpret_cast<const char*>(in_.data() + at_), size);
    at_ += size;
    return s;
  }
  bool ok() const { return ok_; }
  void poison() { ok_ = false; }
  bool at_end() const { return at_ == in_.size(); }
  std::size_t left() const { return in_.size() - at_; }

 private:
  template <typename T>
  T fail() {
    ok_ = false;
    return T{};
  }
  std::span<const std::uint8_t> in_;
  std::size_t at_ = 0;
  bool ok_ = true;
};

void digest(std::span<const std::uint8_t> body, std::uint8_t (&out)[kDigest]) {
  if (sodium_init() < 0) std::memset(out, 0, kDigest);  // cannot happen once the SDK started
  crypto_generichash(out, kDigest, body.data(), body.size(), nullptr, 0);
}

SavedEntry read_entry(Reader& in) {
  SavedEntry e;
  const auto flags = in.number<std::uint8_t>();
  if (flags > 1) in.poison();
  e.at_least_once = flags == 1;
  e.seq = in.number<std::uint64_t>();
  e.ttl_ms = in.number<std::uint32_t>();
  e.age_ms = in.number<std::uint32_t>();
  e.topic = in.text();
  e.content_type = in.text();
  e.payload = in.text();
  return e;
}

std::string decode_body(std::span<const std::uint8_t> body, SavedSession& out) {
  Reader in(body);
  out.device_id = in.text();
  out.written_at_unix_ms = in.number<std::uint64_t>();
  out.store_epoch = in.number<std::uint64_t>();
  out.resume_token = in.text();
  out.last_received_seq = in.number<std::uint64_t>();
  out.next_uplink_seq = in.number<std::uint64_t>();
  const auto count = in.number<std::uint32_t>();
  // Each entry takes at least kMinEntry bytes: a count beyond that is a lie, not a reason to
  // allocate.
  if (!in.ok() || count > in.left() / kMinEntry) return "the entry count does not fit the file";
  out.entries.clear();
  out.entries.reserve(count);
  for (std::uint32_t i = 0; i < count && in.ok(); ++i) out.entries.push_back(read_entry(in));
  if (!in.ok()) return "a field runs past the end of the file, or an entry has unknown flags";
  if (!in.at_end()) return "bytes follow the last entry";
  for (const auto& e : out.entries)
    if (e.seq >= out.next_uplink_seq) return "an entry's seq is not below the next uplink seq";
  return {};
}

}  // namespace

std::vector<std::uint8_t> seal_session_body(std::span<const std::uint8_t> body) {
  std::vector<std::uint8_t> out(kMagic.begin(), kMagic.end());
  Writer w(out);
  w.number(kVersion);
  w.number(std::uint16_t{0});
  w.number(static_cast<std::uint32_t>(body.size()));
  out.insert(out.end(), body.begin(), body.end());
  std::uint8_t sum[kDigest];
  digest(body, sum);
  out.insert(out.end(), sum, sum + kDigest);
  return out;
}

std::vector<std::uint8_t> encode_session(const SavedSession& s) {
  // Sized first: one allocation, and GCC 12 at -O3 no longer takes the appends below for writes
  // into an empty vector (a false -Wstringop-overflow).
  std::size_t size = 64 + s.device_id.size() + s.resume_token.size();
  for (const auto& e : s.entries)
    size += kMinEntry + e.topic.size() + e.content_type.size() + e.payload.size();
  std::vector<std::uint8_t> out;
  out.reserve(size);
  Writer w(out);
  w.text(s.device_id);
  w.number(s.written_at_unix_ms);
  w.number(s.store_epoch);
  w.text(s.resume_token);
  w.number(s.last_received_seq);
  w.number(s.next_uplink_seq);
  w.number(static_cast<std::uint32_t>(s.entries.size()));
  for (const auto& e : s.entries) {
    w.number(static_cast<std::uint8_t>(e.at_least_once ? 1 : 0));
    w.number(e.seq);
    w.number(e.ttl_ms);
    w.number(e.age_ms);
    w.text(e.topic);
    w.text(e.content_type);
    w.text(e.payload);
  }
  return seal_session_body(out);
}

std::string decode_session(std::span<const std::uint8_t> bytes, SavedSession& out) {
  if (bytes.size() < kHeader + kDigest ||
      std::memcmp(bytes.data(), kMagic.data(), kMagic.size()) != 0)
    return "not a Kite session file";
  Reader header(bytes.subspan(4, kHeader - 4));
  const auto version = header.number<std::uint16_t>();
  const auto reserved = header.number<std::uint16_t>();
  const auto body_size = header.number<std::uint32_t>();
  if (version != kVersion)
    return "version " + std::to_string(version) + " (this SDK reads version " +
           std::to_string(kVersion) + ")";
  if (reserved != 0) return "a reserved field is not 0";
  if (body_size != bytes.size() - kHeader - kDigest) return "truncated or extended";
  const auto body = bytes.subspan(kHeader, body_size);
  std::uint8_t sum[kDigest];
  digest(body, sum);
  if (std::memcmp(sum, bytes.data() + kHeader + body_size, kDigest) != 0)
    return "its checksum does not match (damaged)";
  return decode_body(body, out);
}

}  // namespace kite::sdk
