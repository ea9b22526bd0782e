// The configuration, mapped onto each part of kited; see options.h.
#include "boot/options.h"

#include <algorithm>
#include <filesystem>
#include <thread>

#include "common/log.h"
#include "config/redis_settings.h"
#include "events/event.h"
#include "store/redis/redis_sentinel.h"

namespace kite::server {

namespace cfg = kite::server::config;

// [record] as the workers take it: a relative directory is under server.data_dir, as the store.
record::RecordSettings record_settings(const cfg::RecordConfig& record,
                                       const std::string& data_dir) {
  record::RecordSettings settings;
  settings.enabled = record.enabled;
  settings.choose(record.devices);
  const std::filesystem::path directory(record.directory);
  settings.directory =
      directory.is_absolute() ? directory : std::filesystem::path(data_dir) / directory;
  settings.max_file_bytes = record.max_file_bytes;
  settings.max_files = record.max_files;
  return settings;
}

// session.device_groups = "auto" follows the mode: devices choose no groups in production.
kite::server::DeviceGroupPolicy device_group_policy(const cfg::Config& config) {
  using Mode = kite::server::DeviceGroupPolicy::Mode;
  kite::server::DeviceGroupPolicy policy;
  policy.pattern = config.session.device_group_pattern;
  switch (config.session.device_groups) {
    case cfg::DeviceGroups::automatic:
      policy.mode = config.server.mode == cfg::Mode::production ? Mode::deny : Mode::allow;
      break;
    case cfg::DeviceGroups::allow:
      policy.mode = Mode::allow;
      break;
    case cfg::DeviceGroups::deny:
      policy.mode = Mode::deny;
      break;
    case cfg::DeviceGroups::prefix:
      policy.mode = Mode::prefix;
      break;
  }
  return policy;
}

CoreOptions core_options(const cfg::Config& config) {
  CoreOptions options;
  options.device_listen = config.server.device_listen;
  options.tls_listen = config.tls.listen;
  options.ws_listen = config.websocket.listen;
  options.wss_listen = config.websocket.tls_listen;
  if (!options.ws_listen.empty() || !options.wss_listen.empty())
    options.upgrade_rules = std::make_shared<const websocket::UpgradeRules>(
        websocket::UpgradeRules{config.websocket.path, config.websocket.origins});
  options.workers = config.server.workers ? config.server.workers
                                          : std::max(1u, std::thread::hardware_concurrency());
  auto& s = options.session;
  s.max_frame = config.session.max_frame;
  s.receive_window = config.session.receive_window;
  s.keepalive_ms = static_cast<std::uint32_t>(config.session.keepalive_ms);
  s.min_keepalive_ms = static_cast<std::uint32_t>(config.session.min_keepalive_ms);
  s.keepalive_factor_percent = config.session.keepalive_factor_percent;
  s.handshake_timeout = static_cast<kite::protocol::Millis>(config.auth.handshake_timeout_ms);
  options.write_high_water_bytes = config.session.write_high_water_bytes;
  options.default_ttl_ms = config.store.default_ttl_ms;
  options.status_window_ms = config.store.status_window_ms;
  options.status_max_entries = config.store.status_max_entries;
  options.uplink_rate_per_s = config.session.uplink_rate_per_s;
  options.uplink_burst = config.session.uplink_burst;
  options.max_pending_commands_per_device = config.admin.max_pending_commands_per_device;
  options.max_pending_commands = config.admin.max_pending_commands;
  options.device_groups = device_group_policy(config);
  options.token_over_plaintext =
      config.server.mode == cfg::Mode::development || config.auth.token_over_plaintext;
  options.drain_reconnect_spread_ms =
      static_cast<std::uint32_t>(config.server.drain_reconnect_spread_ms);
  options.record = record_settings(config.record, config.server.data_dir);
  if (config.events.retention_events != 0) {
    for (const auto& name : config.events.types)
      if (auto type = kite::server::events::parse_type(name))
        options.event_types |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(*type));
  }
  return options;
}

AdmissionLimits admission_limits(const cfg::AuthConfig& auth) {
  AdmissionLimits limits;
  limits.max_unauthenticated_per_ip = auth.max_unauthenticated_per_ip;
  limits.backoff_base_ms = static_cast<Millis>(auth.failed_auth_backoff_base_ms);
  limits.backoff_max_ms = static_cast<Millis>(auth.failed_auth_backoff_max_ms);
  return limits;
}

StoreOptions store_options(const cfg::StoreConfig& store) {
  StoreOptions options;
  options.durability =
      store.durability == cfg::Durability::sync ? Durability::Sync : Durability::Async;
  options.per_device_messages = static_cast<std::uint32_t>(store.per_device_messages);
  options.per_device_bytes = store.per_device_bytes;
  options.global_messages = store.global_messages;
  options.global_bytes = store.global_bytes;
  options.full_policy = store.full_policy == cfg::FullPolicy::drop_oldest ? FullPolicy::DropOldest
                                                                          : FullPolicy::Reject;
  options.idempotency_window_ms = store.idempotency_window_ms;
  options.idempotency_records = store.idempotency_records;
  options.write_behind_ms = static_cast<std::uint32_t>(store.write_behind_ms);
  return options;
}

// Addresses were checked by config::validate(): parse() cannot fail here.
RedisStoreOptions redis_options(const cfg::RedisConfig& redis) {
  auto parsed = [](const std::vector<std::string>& texts) {
    std::vector<common::RedisAddress> addresses(texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i)
      common::RedisAddress::parse(texts[i], addresses[i]);
    return addresses;
  };
  RedisStoreOptions options;
  options.addresses = parsed(cfg::redis_shard_addresses(redis));
  options.sentinels = parsed(redis.sentinels);
  options.master_names = redis.master_names;
  options.prefix = redis.prefix;
  options.timeout_ms = static_cast<int>(redis.timeout_ms);
  options.wait_replicas = static_cast<int>(redis.wait_replicas);
  options.wait_timeout_ms = static_cast<int>(redis.wait_timeout_ms);
  options.address = options.addresses.front();
  // The cluster's own pools start from this address and, with sentinels, follow the control
  // shard's master through failovers as the store's pools do.
  if (!options.sentinels.empty())
    options.control_lookup = {options.sentinels, options.master_names.front()};
  std::string error;
  if (!options.sentinels.empty() &&
      !store::redis::ask_sentinels_for_master(options.sentinels, options.master_names.front(),
                                              options.timeout_ms, options.address, error))
    KITE_LOG(error, "cluster.sentinels_failed", {{"error", error}});
  return options;
}

}  // namespace kite::server
