// The tokens a device presents to resume its session on a new connection.
//
// A token is 32 bytes: when it was issued (8, milliseconds since the Unix epoch), a random
// nonce (8) and a MAC (16) over a domain label, the device id, the store epoch, the time and the
// nonce, keyed with a resume key of its own (no other secret is reused for it). So:
//  - every session gets a new token, and none can be made without the key;
//  - a token is good for one device and one store epoch, and for `kMaxAge` after it was issued
//    (a device that connects at least that often always resumes, as each welcome brings a fresh
//    one);
//  - tokens are compared in constant time.
// The key is kept in the data directory (made on first start, 0600) so that tokens outlive a
// restart; without a data directory (the memory store, whose epoch changes at every start
// anyway) it is random per process. A valid token grants nothing alone: the device still
// authenticates, and only then is it told `resumed`.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kite::server {

class ResumeTokens {
 public:
  static constexpr std::size_t kKeySize = 32;
  static constexpr std::size_t kTokenSize = 32;
  static constexpr std::int64_t kMaxAge = 30LL * 24 * 3600 * 1000;  // 30 days, in ms

  // `key`: kKeySize bytes; anything else makes a random key for this process.
  explicit ResumeTokens(std::span<const std::uint8_t> key = {});

  std::vector<std::uint8_t> issue(std::string_view device_id, std::uint64_t epoch,
                                  std::int64_t now_ms) const;
  bool valid(std::span<const std::uint8_t> token, std::string_view device_id, std::uint64_t epoch,
             std::int64_t now_ms) const;

  // The key in `path`, made (random, 0600, created exclusively) when the file does not exist.
  // "" or why not.
  static std::string load_or_create_key(const std::string& path,
                                        std::array<std::uint8_t, kKeySize>& key);

 private:
  std::array<std::uint8_t, 16> mac(std::string_view device_id, std::uint64_t epoch,
                                   std::span<const std::uint8_t> issued_and_nonce) const;

  std::array<std::uint8_t, kKeySize> key_{};
};

}  // namespace kite::server
