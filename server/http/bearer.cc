// Bearer-token checks; see bearer.h.
#include "http/bearer.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <array>
#include <optional>
#include <string>

#include "http/problem.h"

namespace kite::server::http {
namespace {

// The token of "Bearer <token>" (scheme in any case), or nothing.
std::optional<std::string_view> presented_token(const HttpRequest& request) {
  const std::string* header = request.header("authorization");
  if (header == nullptr || header->size() < 7) return std::nullopt;
  std::string_view value(*header);
  for (std::size_t i = 0; i < 7; ++i)
    if ((value[i] | 0x20) != "bearer "[i]) return std::nullopt;
  value.remove_prefix(7);
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  if (value.empty()) return std::nullopt;
  return value;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> digest(std::string_view text) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

}  // namespace

bool bearer_matches(const HttpRequest& request, std::string_view expected) {
  auto token = presented_token(request);
  if (!token || expected.empty()) return false;
  auto a = digest(*token);
  auto b = digest(expected);
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

HttpResponse unauthorized_response(const HttpRequest& request, std::string_view realm) {
  bool sent = presented_token(request).has_value();
  std::string challenge = "Bearer realm=\"" + std::string(realm) + "\"";
  if (sent) challenge += ", error=\"invalid_token\"";
  HttpResponse response = problem_response(
      401, "", sent ? "the bearer token is not valid" : "a bearer token is required");
  response.headers.emplace_back("WWW-Authenticate", challenge);
  return response;
}

}  // namespace kite::server::http
