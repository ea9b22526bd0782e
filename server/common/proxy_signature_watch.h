// Watches the first bytes of a connection that is not from a listed proxy (proxy_policy.h) for
// the start of a PROXY header: such a client is claiming to be someone else.
//
// Rules:
//  - it only watches: the bytes go on to the TLS layer or the session as they are, so a client
//    that is not forging pays nothing but a few byte compares on its first read;
//  - forged means the whole v1 prefix "PROXY " or the whole 12-byte v2 signature: no Kite frame,
//    TLS record or HTTP request starts that way, so nobody honest is refused;
//  - it may be fed across reads (it remembers how far each signature matched), but when the
//    signature is split, the session sees the first part before the watch sees the rest and may
//    refuse the connection on its own (as garbage), which is as good an outcome.
#pragma once

#include <cstdint>
#include <span>

namespace kite::server {

class ProxySignatureWatch {
 public:
  enum class Verdict : std::uint8_t { undecided, clear, forged };

  Verdict watch(std::span<const std::uint8_t> bytes);
  Verdict verdict() const { return verdict_; }

 private:
  std::uint8_t seen_ = 0;  // bytes compared so far (at most 12)
  bool may_be_v1_ = true;  // every byte so far matched "PROXY "
  bool may_be_v2_ = true;  // every byte so far matched the v2 signature
  Verdict verdict_ = Verdict::undecided;
};

}  // namespace kite::server
