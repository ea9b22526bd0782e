#include "bench/common.h"

#include <fmt/format.h>

#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"
#include "kite/tls/context.h"

namespace kite::bench {
namespace {

// Keys were checked by the command line (kHexKey, flags/key_flags.h).
std::vector<std::uint8_t> from_hex(const std::string& hex) {
  return protocol::hex_decode(hex).value_or(std::vector<std::uint8_t>{});
}

}  // namespace

Identity device_identity(const BenchOptions& options, std::uint32_t i) {
  Identity identity;
  identity.id = "bench-" + std::to_string(options.id_base + options.first_device + i);
  identity.key = protocol::derive_device_key(from_hex(options.master_key), identity.id);
  return identity;
}

Identity service_identity(const BenchOptions& options) {
  Identity identity;
  identity.id = "service:" + options.service;
  auto key = from_hex(options.service_key);
  std::copy_n(key.begin(), std::min(key.size(), identity.key.size()), identity.key.begin());
  return identity;
}

std::string target_address(const BenchOptions& options, sockaddr_storage& out) {
  out = {};
  if (uv_ip4_addr(options.host.c_str(), options.port, reinterpret_cast<sockaddr_in*>(&out)) == 0)
    return {};
  if (uv_ip6_addr(options.host.c_str(), options.port, reinterpret_cast<sockaddr_in6*>(&out)) == 0)
    return {};
  return "not a numeric address: " + options.host;
}

std::string use_tls(const BenchOptions& options, ClientLoop& loop) {
  if (!options.tls.enabled) return {};
  tls::TlsSettings settings;
  settings.role = tls::Role::Client;
  settings.ca_file = options.tls.ca_file;
  settings.server_name = options.tls.server_name.empty() ? options.host : options.tls.server_name;
  settings.min_version =
      tls::parse_tls_version(options.tls.min_version).value_or(tls::TlsVersion::V1_3);
  // Every connection makes a full handshake: which one got the last ticket must not change the
  // figures (conn measures handshakes).
  settings.session_tickets = false;
  auto created = tls::TlsContext::create(settings);
  if (!created.context) return "tls: " + created.error;
  loop.use_tls(std::move(created.context));
  return {};
}

std::string prepare_connections(const BenchOptions& options, ClientLoop& loop,
                                sockaddr_storage& target) {
  if (auto error = target_address(options, target); !error.empty()) return error;
  if (!options.websocket_path.empty())
    loop.use_websocket(options.websocket_path, options.host + ":" + std::to_string(options.port));
  return use_tls(options, loop);
}

std::string source_address(const BenchOptions& options, std::uint32_t i) {
  if (options.source_prefix.empty()) return {};
  return options.source_prefix + std::to_string(1 + (options.first_device + i) % 250);
}

protocol::SessionConfig client_config() {
  protocol::SessionConfig config;
  config.keepalive_ms = 60'000;
  config.receive_window = 64;
  config.handshake_timeout = 30'000;
  return config;
}

std::string latency_line(const Histogram& h) {
  return fmt::format("p50 {} us, p90 {} us, p99 {} us, p99.9 {} us, max {} us", h.percentile(0.5),
                     h.percentile(0.9), h.percentile(0.99), h.percentile(0.999), h.max());
}

nlohmann::ordered_json latency_object(const Histogram& h) {
  return {{"p50_us", h.percentile(0.5)},
          {"p90_us", h.percentile(0.9)},
          {"p99_us", h.percentile(0.99)},
          {"p999_us", h.percentile(0.999)},
          {"max_us", h.max()},
          {"samples", h.count()}};
}

std::string latency_json(const Histogram& h) {
  return latency_object(h).dump();
}

std::string speaker(const BenchOptions& options) {
  if (options.child_count == 0) return "kite bench";
  return fmt::format("kite bench [process {}/{}]", options.child_index + 1, options.child_count);
}

void say_failure(const BenchOptions& options, std::uint64_t failures, const std::string& who,
                 const std::string& kind, std::string_view detail) {
  if (failures > 5) return;
  fmt::print(stderr, "{}: {}: {}{}{}{}{}\n", speaker(options), who, kind,
             detail.empty() ? "" : " (", detail, detail.empty() ? "" : ")",
             failures == 5 ? "; any further failures are only counted" : "");
}

}  // namespace kite::bench
