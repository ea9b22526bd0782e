#include "boot/admin_loop.h"

#include <csignal>
#include <cstdio>
#include <optional>

#include "api/admin_api.h"
#include "api/bulk_send.h"
#include "api/events_routes.h"
#include "api/group_routes.h"
#include "api/message_status_routes.h"
#include "api/metrics_routes.h"
#include "api/recording_routes.h"
#include "boot/options.h"
#include "cluster/redis_consumer_groups.h"
#include "common/log.h"
#include "config/cli.h"
#include "config/endpoint.h"

namespace kite::server::boot {
namespace {

namespace cfg = kite::server::config;

void start_signals(AdminLoop& admin) {
  uv_timer_init(admin.loop, &admin.drain_timer);
  admin.drain_timer.data = &admin;
  for (auto [handle, signum] :
       {std::pair{&admin.sigint, SIGINT}, std::pair{&admin.sigterm, SIGTERM},
        std::pair{&admin.sighup, SIGHUP}}) {
    uv_signal_init(admin.loop, handle);
    handle->data = &admin;
    uv_signal_start(handle, signum == SIGHUP ? on_reload_signal : on_stop_signal, signum);
  }
}

// Where to reach kited, and a first request to try: the operator's first two lines.
void print_banner(const Server& server, const cfg::Config& config, const cfg::Endpoint& admin,
                  int port, bool https) {
  std::string devices;
  for (const auto& listen : config.server.device_listen)
    devices += (devices.empty() ? "" : ", ") + listen;
  if (!config.tls.listen.empty()) devices += ", TLS on " + config.tls.listen;
  const char* scheme = https ? "https" : "http";
  std::printf("kited: devices on %s, admin API on %s://%s:%d (%u workers)\n", devices.c_str(),
              scheme, admin.host.c_str(), port, server.options().workers);
  std::printf(
      "kited: try  curl -H 'Authorization: Bearer <admin token>' -d '{\"payload\":\"hi\"}' "
      "%s://%s:%d/v1/devices/thermostat-1/messages\n",
      scheme, admin.host.c_str(), port);
  std::fflush(stdout);
  KITE_LOG(info, "server.started", {{"workers", server.options().workers}});
  if (server.recording().enabled)
    KITE_LOG(info, "record.on",
             {{"directory", server.recording().directory.string()},
              {"devices", server.recording().devices.size()}});
}

http::HttpServerOptions http_options(Server& server, const cfg::Config& config,
                                     std::shared_ptr<const kite::tls::TlsContext> admin_tls) {
  http::HttpServerOptions options;
  options.limits.max_body_bytes = config.admin.max_body_bytes;
  options.deadlines = {config.admin.head_timeout_ms, config.admin.min_body_rate};
  options.gate = &server.admin_gate();
  options.tls = std::move(admin_tls);
  return options;
}

}  // namespace

int serve_admin(Server& server, const cfg::Config& config, events::EventLog* events,
                const webhooks::WebhookSet* hooks, http::TokenSet& tokens,
                std::shared_ptr<const kite::tls::TlsContext> admin_tls, int argc, char** argv) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  http::Router router;
  LoopInbox inbox(&loop);  // outlives the workers: server.stop() below joins them first
  const events::ConsumerGroupTimeouts group_timeouts{
      static_cast<std::int64_t>(config.events.consumer_visibility_ms),
      static_cast<std::int64_t>(config.events.consumer_member_ms)};
  // A cluster node shares its consumer groups with the other nodes (docs/cluster.md).
  std::unique_ptr<cluster::RedisConsumerGroups> shared_groups;
  if (events && config.store.engine == cfg::StoreEngine::redis) {
    const RedisStoreOptions redis = redis_options(config.redis);
    shared_groups = std::make_unique<cluster::RedisConsumerGroups>(
        redis.address, redis.prefix, redis.timeout_ms, group_timeouts, redis.control_lookup);
  }
  std::optional<api::EventHub> event_hub;
  if (events)
    event_hub.emplace(&loop, *events, server.groups(), &server.store(), group_timeouts,
                      shared_groups.get());
  add_event_routes(router, event_hub ? &*event_hub : nullptr, &tokens);
  add_metrics_routes(router, server, &tokens, hooks);
  const AdminApiOptions api_options{&tokens, config.session.max_frame - 1024,
                                    config.store.default_ttl_ms};
  // The inbox is closed, dropping the slices it holds for bulk_sends, before bulk_sends goes.
  BulkSends bulk_sends(server, inbox, api_options);
  add_group_routes(router, server, bulk_sends, api_options);
  add_admin_routes(router, server, inbox, api_options);
  add_message_status_routes(router, server, api_options);
  add_recording_routes(router, server, api_options);
  const bool https = admin_tls != nullptr;
  http::HttpServer http(&loop, std::move(router), http_options(server, config, admin_tls));
  auto endpoint = cfg::parse_endpoint(config.server.admin_listen);
  const std::string error = http.listen(endpoint->host, endpoint->port);
  AdminLoop admin{
      &loop, &server, &config,      &http, &tokens, &inbox, event_hub ? &*event_hub : nullptr,
      argc,  argv,    config.record};
  if (error.empty()) {
    start_signals(admin);
    print_banner(server, config, *endpoint, http.port(), https);
  } else {
    std::fprintf(stderr, "kited: admin API: %s\n", error.c_str());
    http.close([] {});
    inbox.close();
    if (event_hub) event_hub->close();
  }
  uv_run(&loop, UV_RUN_DEFAULT);  // on a failed listen: the handles close before they go away
  server.stop(kite::protocol::Reason::ServerShutdown);
  uv_loop_close(&loop);
  if (!error.empty()) return cfg::kExitRuntimeFailure;
  KITE_LOG(info, "server.stopped", {});
  return cfg::kExitOk;
}

}  // namespace kite::server::boot
