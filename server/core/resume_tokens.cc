// Resume tokens; see resume_tokens.h.
#include "core/resume_tokens.h"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/server_random.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hmac.h"

namespace kite::server {
namespace {

constexpr std::string_view kLabel = "kite/1 resume token";

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(value >> (8 * i)));
}

std::uint64_t get_u64(std::span<const std::uint8_t> bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | bytes[static_cast<std::size_t>(i)];
  return value;
}

}  // namespace

ResumeTokens::ResumeTokens(std::span<const std::uint8_t> key) {
  if (key.size() == kKeySize)
    std::memcpy(key_.data(), key.data(), kKeySize);
  else
    protocol::random_bytes(key_);
}

std::array<std::uint8_t, 16> ResumeTokens::mac(
    std::string_view device_id, std::uint64_t epoch,
    std::span<const std::uint8_t> issued_and_nonce) const {
  // Every field has a fixed size or a length before it: no two inputs share a transcript.
  std::string data(kLabel);
  put_u64(data, device_id.size());
  data += device_id;
  put_u64(data, epoch);
  data.append(reinterpret_cast<const char*>(issued_and_nonce.data()), issued_and_nonce.size());
  const protocol::Mac full = protocol::hmac_sha256(key_, data);
  std::array<std::uint8_t, 16> out{};
  std::memcpy(out.data(), full.data(), out.size());
  return out;
}

std::vector<std::uint8_t> ResumeTokens::issue(std::string_view device_id, std::uint64_t epoch,
                                              std::int64_t now_ms) const {
  std::vector<std::uint8_t> token(kTokenSize);
  std::string issued;
  put_u64(issued, static_cast<std::uint64_t>(now_ms));
  std::memcpy(token.data(), issued.data(), 8);
  server_random(std::span(token).subspan(8, 8));
  const auto tag = mac(device_id, epoch, std::span(token).first(16));
  std::memcpy(token.data() + 16, tag.data(), tag.size());
  return token;
}

bool ResumeTokens::valid(std::span<const std::uint8_t> token, std::string_view device_id,
                         std::uint64_t epoch, std::int64_t now_ms) const {
  if (token.size() != kTokenSize) return false;
  const auto expected = mac(device_id, epoch, token.first(16));
  if (sodium_memcmp(expected.data(), token.data() + 16, expected.size()) != 0) return false;
  const auto issued = static_cast<std::int64_t>(get_u64(token.first(8)));
  return issued <= now_ms + 60'000 && now_ms - issued < kMaxAge;  // a minute of clock skew
}

std::string ResumeTokens::load_or_create_key(const std::string& path,
                                             std::array<std::uint8_t, kKeySize>& key) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT) {
    protocol::random_bytes(key);
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return path + ": " + std::strerror(errno);
    const bool written = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
    const bool synced = ::fsync(fd) == 0;
    ::close(fd);
    if (!written || !synced) {
      ::unlink(path.c_str());
      return path + ": cannot write the resume key";
    }
    return "";
  }
  if (fd < 0) return path + ": " + std::strerror(errno);
  const ssize_t got = ::read(fd, key.data(), key.size());
  char extra = 0;
  const ssize_t more = ::read(fd, &extra, 1);
  ::close(fd);
  if (got != static_cast<ssize_t>(key.size()) || more != 0)
    return path + ": not a resume key (32 bytes); remove it to make a new one";
  return "";
}

}  // namespace kite::server
