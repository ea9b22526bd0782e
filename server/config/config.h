// The configuration of kited: every setting, its default and what it means, in one struct.
//
// Values come in layers, each later one winning: these defaults < the TOML file (--config) <
// KITE_<SECTION>_<KEY> environment variables < command-line flags. load.h builds a Config from the
// layers and validate.h checks one; a Config that load_config() returns without errors is valid,
// so consumers may rely on the ranges listed in field_table.cc. That table binds every field here
// to its TOML key, range and reference comment, so the struct, the default file and the docs
// cannot drift apart (default_config.h prints them).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/log.h"
#include "common/proxy_header.h"

namespace kite::server::config {

// development: loopback listeners only; missing master key and admin token are generated at start
// and printed once. production: keys and the admin token are required; any address may be used.
enum class Mode : std::uint8_t { development, production };
enum class StoreEngine : std::uint8_t { rocksdb, memory, redis };
enum class Durability : std::uint8_t { async, sync };
enum class FullPolicy : std::uint8_t { reject, drop_oldest };
// Who picks a device's groups from the device (core/device_group_policy.h); automatic: allow in
// development mode, deny in production.
enum class DeviceGroups : std::uint8_t { automatic, allow, deny, prefix };

struct ServerConfig {
  Mode mode = Mode::development;                             // see Mode above
  std::vector<std::string> device_listen{"127.0.0.1:7000"};  // device listeners; [::1]:7000 for v6
  std::string admin_listen = "127.0.0.1:7080";               // HTTP admin API listener
  std::string data_dir = "./data";                           // durable store and other state
  std::uint32_t workers = 0;                                 // worker loops; 0 = one per core
  std::uint64_t drain_delay_ms = 0;                 // SIGTERM: /readyz 503 this long, then goaway
  std::uint64_t drain_reconnect_spread_ms = 30000;  // goaway reconnect-after: random up to this
  bool operator==(const ServerConfig&) const = default;
};

// Who may connect to the device port. The lists hold CIDR blocks ("10.0.0.0/8", "::1/128", a bare
// address); deny wins, and a non-empty allow list admits only what it matches (common/cidr.h).
struct DeviceConfig {
  std::vector<std::string> allow;                // empty: every address not denied
  std::vector<std::string> deny;                 // refused at accept, before any byte is read
  std::uint32_t max_connections_per_ip = 10000;  // open connections per IPv4 or IPv6 /64; 0 = off
  ProxyVersions proxy_protocol = ProxyVersions::off;  // PROXY headers taken from proxy_from
  std::vector<std::string> proxy_from;  // proxies that must send one (common/proxy_policy.h)
  bool operator==(const DeviceConfig&) const = default;
};

struct AuthConfig {
  std::string master_key;                         // fleet key (hex, >= 32 bytes) for derived keys
  std::string master_key_file;                    // file holding the hex master key instead
  std::string device_keys_file;                   // lines "device-id hexkey"; # comments
  std::string token_key;                          // hex key verifying device tokens; empty = off
  std::string revocation_file;                    // revoked device ids, one per line
  std::string service_credentials_file;           // lines "service-name hexkey"
  std::uint64_t handshake_timeout_ms = 10000;     // hello-to-welcome limit
  std::uint32_t max_unauthenticated_per_ip = 64;  // concurrent connections not yet authenticated
  std::uint64_t failed_auth_backoff_base_ms = 1000;  // delay after the first failure from an IP
  std::uint64_t failed_auth_backoff_max_ms = 60000;  // cap of the doubling delay
  bool token_over_plaintext = false;  // production: Token logins on the plain listener
  bool operator==(const AuthConfig&) const = default;
};

// One [[admin.tokens]] entry: a named bearer token of the HTTP API and what it may do.
struct AdminToken {
  std::string name;                 // shown in logs instead of the secret
  std::string token;                // the secret itself, or...
  std::string token_sha256;         // ...its SHA-256 in hex, so the file need not hold it
  std::vector<std::string> scopes;  // "send", "read", "admin" (admin: every route)
  bool operator==(const AdminToken&) const = default;
};

struct AdminConfig {
  std::string token;               // bearer token with every scope (kept from before scopes)
  std::vector<AdminToken> tokens;  // named tokens with scopes
  std::vector<std::string> allow;  // CIDR blocks allowed on the admin port; empty: all
  std::vector<std::string> deny;   // CIDR blocks refused on the admin port
  std::uint32_t max_connections_per_ip = 256;         // open HTTP connections per source; 0 = off
  ProxyVersions proxy_protocol = ProxyVersions::off;  // as DeviceConfig's, for the admin port
  std::vector<std::string> proxy_from;
  std::uint64_t max_body_bytes = 1048576;  // largest accepted request body
  std::uint64_t head_timeout_ms = 10000;   // longest a request head may take to arrive
  std::uint64_t min_body_rate = 8192;      // bytes/s a body must average after that grace
  std::uint32_t max_pending_commands_per_device = 16;  // commands awaiting a device's reply
  std::uint32_t max_pending_commands = 4096;           // the same, over all devices
  std::string tls_cert_file;                           // both set: the admin port speaks HTTPS only
  std::string tls_key_file;                            // the private key of tls_cert_file
  bool operator==(const AdminConfig&) const = default;
};

// The TLS device listener, beside the plain one(s) of server.device_listen.
enum class TlsMinVersion : std::uint8_t { v1_3, v1_2 };
enum class ClientCert : std::uint8_t { none, optional, required };
enum class DeviceIdFrom : std::uint8_t { cn, san_dns, san_uri };

struct TlsConfig {
  std::string listen;     // "host:port" of the TLS device listener; empty = no TLS listener
  std::string cert_file;  // kited's certificate chain, PEM (leaf first)
  std::string key_file;   // its private key, PEM
  std::string ca_file;    // CA bundle that client certificates must lead to
  std::string crl_file;   // CRLs (PEM) of that CA; reloaded on SIGHUP
  TlsMinVersion min_version = TlsMinVersion::v1_3;  // oldest TLS version accepted
  ClientCert client_cert = ClientCert::none;        // whether devices must show a certificate
  DeviceIdFrom device_id_from = DeviceIdFrom::cn;   // where a certificate names its device
  bool tickets = true;                              // TLS 1.3 session tickets (resumption)
  std::int64_t ticket_max_age_s = 7200;  // a ticket resumes this long after its full handshake
  bool operator==(const TlsConfig&) const = default;
};

// WebSocket listeners for devices and browsers (RFC 6455, subprotocol kite.v1): the same
// sessions as the device port, framed in binary messages.
struct WebSocketConfig {
  std::string listen;  // "host:port" of the ws:// listener; empty = none
  std::string
      tls_listen;  // "host:port" of the wss:// listener (the [tls] certificate); empty = none
  std::string path = "/";  // the request path the upgrade must name (behind a proxy: its prefix)
  std::vector<std::string> origins;  // allowed Origin values ("https://app.example"); empty = any
  bool operator==(const WebSocketConfig&) const = default;
};

struct SessionConfig {
  std::uint32_t max_frame = 262144;              // largest frame, after decompression
  std::uint32_t receive_window = 64;             // messages a peer may send before credit
  std::uint64_t keepalive_ms = 30000;            // largest keep-alive a client may negotiate
  std::uint64_t min_keepalive_ms = 1000;         // smallest keep-alive a client may negotiate
  std::uint32_t keepalive_factor_percent = 150;  // silence allowed, in % of the keep-alive
  std::uint64_t write_high_water_bytes = 65536;  // socket write queue above which feeding stops
  std::uint32_t uplink_rate_per_s = 100;         // device-to-server messages per second
  std::uint32_t uplink_burst = 200;              // token bucket size of that rate
  DeviceGroups device_groups = DeviceGroups::automatic;   // groups devices may join themselves
  std::string device_group_pattern = "{device_prefix}-";  // device_groups = prefix: allowed prefix
  bool operator==(const SessionConfig&) const = default;
};

struct StoreConfig {
  StoreEngine engine = StoreEngine::rocksdb;       // rocksdb (data_dir), redis or memory (tests)
  Durability durability = Durability::async;       // sync: fsync before confirming a send
  std::uint64_t write_behind_ms = 50;              // rocksdb+async: group commit; 0 = at once
  std::uint64_t per_device_messages = 10000;       // queued messages per device
  std::uint64_t per_device_bytes = 16777216;       // queued payload bytes per device
  std::uint64_t global_messages = 10000000;        // queued messages, all devices
  std::uint64_t global_bytes = 4294967296;         // queued payload bytes, all devices
  FullPolicy full_policy = FullPolicy::reject;     // what a send to a full queue does
  std::uint64_t default_ttl_ms = 0;                // TTL of messages sent without one; 0 = none
  std::uint64_t idempotency_window_ms = 86400000;  // how long send ids are remembered
  std::uint64_t idempotency_records = 10000000;    // idempotency records kept, all devices
  std::uint64_t sweep_interval_ms = 1000;          // expiry and fallback sweep, when idle
  std::uint64_t sweep_slice = 512;                 // deadlines handled per store write
  std::uint64_t status_window_ms = 3600000;        // message status kept after the end; 0 = off
  std::uint64_t status_max_entries = 1000000;      // message statuses kept, all devices
  bool operator==(const StoreConfig&) const = default;
};

// The Redis the store lives in when store.engine = "redis".
struct RedisConfig {
  std::string address;                    // one Redis: host:port or unix:/path; "" = default
  std::vector<std::string> addresses;     // several: the shards, the first the control shard
  std::vector<std::string> sentinels;     // host:port of Redis Sentinels that name the masters
  std::vector<std::string> master_names;  // with sentinels: one master name per shard
  std::string prefix = "kite:";           // every key starts with it
  std::uint64_t timeout_ms = 2000;        // to connect, and for each command
  std::uint64_t wait_replicas = 0;        // > 0: each write waits for that many replicas
  std::uint64_t wait_timeout_ms = 1000;   // for at most this long
  bool operator==(const RedisConfig&) const = default;
};

struct EventsConfig {
  std::uint64_t retention_events = 100000;       // events kept for readers to resume; 0 = off
  std::uint64_t retention_bytes = 67108864;      // memory those events may hold
  std::uint64_t retention_ms = 3600000;          // age after which an event is dropped
  bool durable = true;                           // written to the store, reloaded at start
  std::uint64_t consumer_visibility_ms = 30000;  // held unacknowledged longer: given to another
  std::uint64_t consumer_member_ms = 30000;      // a member not reading longer is gone
  std::vector<std::string> types{"uplink",      "connect", "disconnect", "receipt",
                                 "undelivered", "expired", "dropped"};  // recorded
  bool operator==(const EventsConfig&) const = default;
};

// Recordings of device connections (docs/recording.md), switchable at run time (PUT
// /v1/recording). A relative directory is under server.data_dir, like the store.
struct RecordConfig {
  bool enabled = false;                     // record from the start
  std::string directory = "recordings";     // where each worker writes its pcap files
  std::uint64_t max_file_bytes = 67108864;  // a file is closed before it passes this
  std::uint32_t max_files = 16;             // files kept per worker; older ones are deleted
  std::vector<std::string> devices;         // devices recorded; empty = every connection
  bool operator==(const RecordConfig&) const = default;
};

// zstd compression of frame bodies, both ways. A dictionary trained on the fleet's own payloads
// (kite dict train) makes small messages compress; kited offers it by id in the handshake and
// uses it with the devices that hold it (the others get plain zstd).
struct CompressionConfig {
  bool enabled = true;                            // false: kited sends every body as it is
  std::uint32_t level = 3;                        // zstd level: 1 (fastest) .. 19
  std::uint32_t threshold_bytes = 256;            // smaller bodies go as they are
  std::string dictionary_file;                    // from kite dict train; empty = none
  std::uint32_t dictionary_threshold_bytes = 48;  // the same, with devices on the dictionary
  bool operator==(const CompressionConfig&) const = default;
};

// One [[webhooks]] entry: where kited POSTs the device events it matches (docs/webhooks.md);
// read and checked by config/webhooks_config.h.
struct WebhookConfig {
  std::string name;                  // unique; in logs, metrics, headers and the body
  std::string url;                   // http://host:port/path or https://...
  std::vector<std::string> types;    // event type names; empty = all
  std::vector<std::string> devices;  // device ids; empty = any
  std::vector<std::string> groups;   // device groups; empty = any
  std::string secret;                // HMAC-SHA256 key of the signature, or...
  std::string secret_file;           // ...a file holding it (trailing newline dropped)
  std::string ca_file;               // PEM CAs for an https receiver; empty = the system store
  std::uint32_t batch_max_events = 100;
  std::uint64_t timeout_ms = 10000;  // per request: connect, send and answer
  std::uint64_t retry_base_ms = 500;
  std::uint64_t retry_max_ms = 60000;
  std::uint32_t max_attempts = 20;  // then the batch is dead-lettered
  bool operator==(const WebhookConfig&) const = default;
};

struct LogConfig {
  log::Level level = log::Level::info;     // least severe level written
  log::Format format = log::Format::text;  // text (logfmt-like) or json, one line per event
  bool operator==(const LogConfig&) const = default;
};

struct Config {
  ServerConfig server;
  DeviceConfig device;
  AuthConfig auth;
  AdminConfig admin;
  TlsConfig tls;
  WebSocketConfig websocket;
  SessionConfig session;
  StoreConfig store;
  RedisConfig redis;
  EventsConfig events;
  RecordConfig record;
  CompressionConfig compression;
  LogConfig log;
  std::vector<WebhookConfig> webhooks;  // top-level [[webhooks]] tables
  bool operator==(const Config&) const = default;
};

}  // namespace kite::server::config
