// What every worker of one kited shares: options, the store, the registry, the authenticator, the
// device port's gate, and a way to reach the other workers. Everything here is thread-safe or
// immutable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "common/peer_gate.h"
#include "common/wall_clock.h"
#include "core/authenticator.h"
#include "core/device_frame_limits.h"
#include "core/device_group_policy.h"
#include "core/device_tls.h"
#include "core/group_directory.h"
#include "core/registry.h"
#include "core/service_directory.h"
#include "events/event_log.h"
#include "kite/protocol/session_types.h"
#include "record/record_settings.h"
#include "store/message_store.h"
#include "websocket/upgrade.h"

namespace kite::server {

class Dispatcher;
class MessageStatusBook;
class Worker;

struct CoreOptions {
  std::vector<std::string> device_listen{"127.0.0.1:7000"};
  std::string tls_listen;  // the TLS device listener; empty: none
  std::string ws_listen;   // the WebSocket listener (ws://); empty: none
  std::string wss_listen;  // the WebSocket listener over TLS (wss://); empty: none
  // What a WebSocket upgrade must name (path, origins); set when either listener is.
  std::shared_ptr<const websocket::UpgradeRules> upgrade_rules;
  std::uint32_t workers = 1;
  protocol::SessionConfig session;  // per-connection protocol settings
  std::size_t write_high_water_bytes = 64 * 1024;
  std::uint64_t default_ttl_ms = 0;
  // Message status (GET /v1/messages/{id}): how long an ended message is remembered, 0 = off;
  // and how many messages at most.
  std::uint64_t status_window_ms = 0;
  std::uint64_t status_max_entries = 1'000'000;
  std::uint32_t uplink_rate_per_s = 100;  // device messages per second; 0 = unlimited
  std::uint32_t uplink_burst = 200;
  std::uint32_t max_pending_commands_per_device = 16;  // commands awaiting one device's reply
  std::uint32_t max_pending_commands = 4096;           // the same, over the whole server
  std::uint32_t drain_reconnect_spread_ms = 30'000;  // goaway at shutdown: reconnect after 0..this
  DeviceGroupPolicy device_groups;   // which groups devices may join and leave themselves
  bool token_over_plaintext = true;  // Token logins on the plain listener (plaintext_token.h)
  // Which device events are recorded for GET /v1/events (bit 1 << EventType); 0 records none.
  std::uint8_t event_types = 0;
  // Recording at start ([record]); changed at run time through Server::set_recording().
  record::RecordSettings record;
};

struct ServerContext {
  CoreOptions options;
  MessageStore* store = nullptr;
  Router* registry = nullptr;
  ServiceDirectory* services = nullptr;  // every open service connection, by "service:NAME"
  Authenticator* auth = nullptr;
  GroupDirectory* groups = nullptr;
  PeerGate* device_gate = nullptr;            // address lists and per-IP cap of the device port
  DeviceFrameLimits* frame_limits = nullptr;  // devices' announced max_frame, when small
  DeviceTls* tls = nullptr;  // the TLS listeners' context; set when tls_listen or wss_listen is
  events::EventLog* events = nullptr;     // null: no event stream
  std::vector<Worker*> workers;           // indexable by Route::worker
  Dispatcher* delivery = nullptr;         // how messages reach devices (core/delivery/)
  MessageStatusBook* statuses = nullptr;  // null: message status is off
};

}  // namespace kite::server
