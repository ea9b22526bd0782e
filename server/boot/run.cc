#include "boot/run.h"

#include <sys/stat.h>

#include <cstdio>

#include "api/access.h"
#include "boot/admin_loop.h"
#include "boot/credentials.h"
#include "boot/options.h"
#include "boot/server_setup.h"
#include "cluster/redis_event_stream.h"
#include "cluster/redis_leases.h"
#include "cluster/redis_presence.h"
#include "common/log.h"
#include "common/wall_clock.h"
#include "config/cli.h"
#include "config/secret_files.h"
#include "core/deadline_sweeper.h"
#include "core/delivery/message_status.h"
#include "core/server_hmac.h"

namespace kite::server::boot {

namespace cfg = kite::server::config;

namespace {

// A node of a cluster: the others wake its devices, hand it QoS 0 messages and commands for them,
// and tell it when one of its devices connected elsewhere (docs/cluster.md).
std::unique_ptr<cluster::RedisPresence> join_cluster(const cfg::Config& config, Server& server) {
  const RedisStoreOptions redis = redis_options(config.redis);
  auto presence = std::make_unique<cluster::RedisPresence>(redis.address, redis.prefix,
                                                           redis.timeout_ms, redis.control_lookup);
  server.join_cluster(presence.get());
  cluster::RedisPresence* members_out = presence.get();
  server.groups().set_observer(
      [members_out](std::string_view group, std::string_view device, bool member) {
        members_out->publish_membership(group, device, member);
      });
  presence->start({[&server](std::string_view device) { server.wake(device); },
                   [&server](std::string_view device) {
                     server.kick(device, protocol::Reason::Replaced,
                                 "this device connected to another kited node");
                   },
                   [&server](const cluster::ForwardedMessage& m) {
                     NewMessage message;
                     message.payload = m.payload;
                     message.topic = m.topic;
                     message.content_type = m.content_type;
                     server.delivery().send_forwarded(message, m.devices);
                   },
                   [&server](const cluster::ForwardedCommand& c, CommandDone done) {
                     server.send_command_here(c.device, std::string(c.name), std::string(c.payload),
                                              c.timeout_ms, std::move(done));
                   },
                   [&server](const cluster::MembershipChange& change) {
                     server.groups().apply_remote(change.group, change.device, change.member);
                   },
                   [&server] {
                     const auto resync = server.groups().resync();
                     KITE_LOG(info, "cluster.groups_resynced",
                              {{"added", resync.added}, {"removed", resync.removed}});
                   },
                   [&server](std::vector<EveryoneMessage> messages) {
                     server.send_everyone_here(std::move(messages));
                   }});
  return presence;
}

// The event log of a cluster node: a mirror of the one every node shares in Redis (so ids are one
// order across nodes). Null, with `error` set, when Redis cannot be read.
std::unique_ptr<cluster::RedisEventStream> share_events(const cfg::Config& config,
                                                        events::EventLog& log, std::string& error) {
  const RedisStoreOptions redis = redis_options(config.redis);
  auto stream = std::make_unique<cluster::RedisEventStream>(
      redis.address, redis.prefix, redis.timeout_ms, config.events.retention_events,
      redis.control_lookup);
  error = stream->load(log);
  if (!error.empty()) return nullptr;
  return stream;
}

}  // namespace

int run(cfg::Config config, const std::string& config_file, int argc, char** argv) {
  ::umask(0077);  // what kited writes (store, secrets, recordings) is for its own user only
  // Before any thread starts: every HMAC kited computes, on OpenSSL's SHA-256 (server_hmac.h).
  install_server_hmac();
  log::configure(config.log.level, config.log.format);
  development_secrets(config);
  cfg::warn_loose_secret_files(config, config_file);

  BuiltServer built = build_server(config);
  if (!built.server) return built.exit_code;
  Server& server = *built.server;
  // Ids start at the boot time in microseconds, or above the newest event the store kept: above
  // every id an earlier run gave.
  events::EventLog event_log({config.events.retention_events, config.events.retention_bytes,
                              static_cast<std::int64_t>(config.events.retention_ms)},
                             static_cast<std::uint64_t>(wall_clock_us()));
  const bool events_on = config.events.retention_events != 0;
  std::unique_ptr<cluster::RedisEventStream> shared_events;
  if (events_on) {
    // The memory store keeps nothing across restarts: writing events to it would cost a
    // transaction per worker turn for nothing. On Redis, the nodes share one log.
    std::string error;
    if (config.store.engine == cfg::StoreEngine::redis &&
        !(shared_events = share_events(config, event_log, error))) {
      std::fprintf(stderr, "kited: %s\n", error.c_str());
      return cfg::kExitRuntimeFailure;
    }
    if (config.events.durable && config.store.engine == cfg::StoreEngine::rocksdb)
      event_log.open(server.store(), wall_clock_ms());
    server.set_event_log(&event_log);
  }
  http::TokenSet tokens;  // outlives the router, which the HTTP server owns
  if (auto error = apply_access(config, server, tokens); !error.empty()) {
    std::fprintf(stderr, "kited: %s\n", error.c_str());
    return cfg::kExitUsage;
  }
  // Webhooks read the event log: they need it on (validate() says so).
  webhooks::WebhookSet hooks;
  std::unique_ptr<cluster::RedisLeases> leases;  // a cluster sends each webhook from one node
  if (shared_events) {
    const RedisStoreOptions redis = redis_options(config.redis);
    leases = std::make_unique<cluster::RedisLeases>(redis.address, redis.prefix, redis.timeout_ms,
                                                    redis.control_lookup);
  }
  if (events_on) {
    if (auto error =
            hooks.build(config.webhooks, event_log, server.groups(), &server.store(), leases.get());
        !error.empty()) {
      std::fprintf(stderr, "kited: %s\n", error.c_str());
      return cfg::kExitUsage;
    }
  }
  // On the Redis store every node is one of a cluster.
  std::unique_ptr<cluster::RedisPresence> presence;
  if (config.store.engine == cfg::StoreEngine::redis) presence = join_cluster(config, server);
  if (auto error = server.start(); !error.empty()) {
    std::fprintf(stderr, "kited: %s\n", error.c_str());
    return cfg::kExitRuntimeFailure;
  }
  DeadlineSweeper::NoticeSink statuses;  // what the store removed undelivered ends its status
  if (MessageStatusBook* book = server.statuses())
    statuses = [book](const MessageNotice& notice) {
      book->apply(notice, static_cast<std::uint64_t>(wall_clock_ms()));
    };
  DeadlineSweeper sweeper(
      server.store(), server.router(), events_on ? &event_log : nullptr,
      {config.store.sweep_interval_ms, config.store.sweep_slice, server.options().event_types},
      std::move(statuses));
  sweeper.start();
  if (shared_events) shared_events->start();
  hooks.start();
  const int code = serve_admin(server, config, events_on ? &event_log : nullptr, &hooks, tokens,
                               std::move(built.admin_tls), argc, argv);
  hooks.stop();  // after the workers: the log they read stays until run() returns
  sweeper.stop();
  if (shared_events) shared_events->stop();  // after every appender: workers, sweeper, hooks
  if (presence) presence->stop();
  return code;
}

}  // namespace kite::server::boot
