#include "config/dev_secrets.h"

#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "kite/protocol/hex.h"

namespace kite::server::config {

std::string random_hex(std::size_t bytes) {
  std::vector<std::uint8_t> buffer(bytes);
  for (std::size_t filled = 0; filled < bytes;) {
    ssize_t n = getrandom(buffer.data() + filled, bytes - filled, 0);
    if (n < 0 && errno != EINTR) throw std::runtime_error("getrandom failed");
    if (n > 0) filled += static_cast<std::size_t>(n);
  }
  return protocol::hex_encode(buffer);
}

GeneratedSecrets generate_development_secrets(Config& config) {
  GeneratedSecrets generated;
  if (config.server.mode != Mode::development) return generated;
  if (config.auth.master_key.empty() && config.auth.master_key_file.empty()) {
    config.auth.master_key = random_hex(32);
    generated.master_key = true;
  }
  if (config.admin.token.empty()) {
    config.admin.token = random_hex(24);
    generated.admin_token = true;
  }
  return generated;
}

}  // namespace kite::server::config
