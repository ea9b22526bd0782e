// What the parsed configuration means for each part of kited: the core's options, the store's,
// the admission limits, the device group policy and the recording settings. boot/ builds the
// server with them at start; a reload (SIGHUP) takes those it may apply.
#pragma once

#include <string>

#include "config/config.h"
#include "core/server.h"
#include "record/record_settings.h"
#include "store/message_store.h"
#include "store/redis/redis_store.h"

namespace kite::server {

record::RecordSettings record_settings(const config::RecordConfig& record,
                                       const std::string& data_dir);
kite::server::DeviceGroupPolicy device_group_policy(const config::Config& config);
CoreOptions core_options(const config::Config& config);
AdmissionLimits admission_limits(const config::AuthConfig& auth);
StoreOptions store_options(const config::StoreConfig& store);
// Checked by validate(): the addresses parse. With sentinels, asks them where the control shard's
// master is (RedisStoreOptions::address).
RedisStoreOptions redis_options(const config::RedisConfig& redis);

}  // namespace kite::server
