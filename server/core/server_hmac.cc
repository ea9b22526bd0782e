// kited's HMAC-SHA256 on OpenSSL; see server_hmac.h. RFC 2104 over SHA-256 digests taken with a
// per-thread EVP_MD_CTX and SHA-256 fetched once: OpenSSL 3's one-shot HMAC() fetches the
// algorithm by name on every call, which costs more than the hashing here.
#include "core/server_hmac.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>

namespace kite::server {
namespace {

constexpr std::size_t kBlock = 64;  // SHA-256's block

const EVP_MD* sha256() {
  static EVP_MD* const md = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!fetched) std::abort();  // no SHA-256 in this OpenSSL: nothing can be authenticated
    return fetched;
  }();
  return md;
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

EVP_MD_CTX* thread_context() {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx) std::abort();
  return ctx.get();
}

// SHA-256(first || second) into out. OpenSSL fails SHA-256 over memory only when it is broken.
void digest(EVP_MD_CTX* ctx, std::span<const std::uint8_t> first,
            std::span<const std::uint8_t> second, std::uint8_t* out) {
  unsigned int length = 0;
  if (EVP_DigestInit_ex2(ctx, sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx, first.data(), first.size()) != 1 ||
      EVP_DigestUpdate(ctx, second.data(), second.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &length) != 1) {
    std::abort();
  }
}

}  // namespace

protocol::Mac openssl_hmac_sha256(std::span<const std::uint8_t> key,
                                  std::span<const std::uint8_t> data) {
  EVP_MD_CTX* ctx = thread_context();
  std::array<std::uint8_t, kBlock> padded{};
  if (key.size() > kBlock)
    digest(ctx, key, {}, padded.data());  // a key longer than the block is hashed first
  else
    std::copy(key.begin(), key.end(), padded.begin());

  std::array<std::uint8_t, kBlock> pad{};
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = padded[i] ^ 0x36;
  protocol::Mac inner{};
  digest(ctx, pad, data, inner.data());
  for (std::size_t i = 0; i < kBlock; ++i) pad[i] = padded[i] ^ 0x5c;
  protocol::Mac out{};
  digest(ctx, pad, inner, out.data());
  OPENSSL_cleanse(padded.data(), padded.size());
  OPENSSL_cleanse(pad.data(), pad.size());
  OPENSSL_cleanse(inner.data(), inner.size());
  return out;
}

void install_server_hmac() {
  protocol::install_hmac_sha256(&openssl_hmac_sha256);
}

}  // namespace kite::server
