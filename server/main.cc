// kited: configuration, credentials and store from the config; the worker loops; the admin HTTP
// API on the main thread's loop, with the signals: SIGINT/SIGTERM stop, SIGHUP reloads keys and
// revocations (and kicks newly revoked devices), admin tokens, both ports' address lists and
// per-IP caps, the TLS listener's certificate, CA and CRL (kicking revoked certificates), and a
// changed [record] section.
#include <sys/stat.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <thread>

#include "api/access.h"
#include "api/admin_api.h"
#include "api/event_hub.h"
#include "api/events_routes.h"
#include "api/group_routes.h"
#include "api/metrics_routes.h"
#include "api/recording_routes.h"
#include "common/log.h"
#include "config/cli.h"
#include "config/compression_settings.h"
#include "config/default_config.h"
#include "config/dev_secrets.h"
#include "config/endpoint.h"
#include "config/secret_files.h"
#include "config/tls_settings.h"
#include "core/key_files.h"
#include "core/server.h"
#include "http/http_server.h"
#include "options_from_config.h"

namespace {

using namespace kite::server;
namespace cfg = kite::server::config;

// Development mode keeps its generated secrets in the data directory, so a restart (or kill -9)
// keeps devices able to authenticate. Printed once, when generated.
void development_secrets(cfg::Config& config) {
  if (config.server.mode != cfg::Mode::development) return;
  if (auto error = cfg::create_private_directories(config.server.data_dir); !error.empty())
    std::fprintf(stderr, "kited: %s\n", error.c_str());
  auto path = std::filesystem::path(config.server.data_dir) / "development-secrets";
  std::ifstream in(path);
  std::string master, token;
  if (in && std::getline(in, master) && std::getline(in, token)) {
    if (config.auth.master_key.empty() && config.auth.master_key_file.empty())
      config.auth.master_key = master;
    if (config.admin.token.empty()) config.admin.token = token;
    std::printf("kited: development keys from %s\n", path.c_str());
    return;
  }
  auto generated = cfg::generate_development_secrets(config);
  if (!generated.master_key && !generated.admin_token) return;
  if (auto error =
          cfg::write_private_file(path, config.auth.master_key + "\n" + config.admin.token + "\n");
      !error.empty())
    std::fprintf(stderr, "kited: development secrets not kept: %s\n", error.c_str());
  std::printf("kited: development mode: generated secrets (kept in %s):\n", path.c_str());
  if (generated.master_key) std::printf("  fleet master key: %s\n", config.auth.master_key.c_str());
  if (generated.admin_token) std::printf("  admin token:      %s\n", config.admin.token.c_str());
}

std::string load_credentials(const cfg::AuthConfig& auth, Credentials& out) {
  std::string master = auth.master_key;
  if (!auth.master_key_file.empty()) {
    if (auto error = read_secret_file(auth.master_key_file, master); !error.empty()) return error;
  }
  if (!master.empty()) {
    auto bytes = hex_decode(master);
    if (!bytes) return "auth.master_key: not hex";
    out.master_key = *bytes;
  }
  if (!auth.token_key.empty()) {
    auto bytes = hex_decode(auth.token_key);
    if (!bytes) return "auth.token_key: not hex";
    out.token_key = *bytes;
  }
  if (!auth.device_keys_file.empty())
    if (auto error = load_key_file(auth.device_keys_file, out.device_keys); !error.empty())
      return error;
  if (!auth.service_credentials_file.empty())
    if (auto error = load_key_file(auth.service_credentials_file, out.service_keys); !error.empty())
      return error;
  if (!auth.revocation_file.empty())
    if (auto error = load_id_list(auth.revocation_file, out.revoked); !error.empty()) return error;
  return {};
}

struct AdminLoop {
  uv_loop_t* loop;
  Server* server;
  const cfg::Config* config;
  http::HttpServer* http;
  http::TokenSet* tokens;  // replaced in place on SIGHUP: the routes point at it
  LoopInbox* inbox;
  api::EventHub* events;  // null when the event stream is off
  int argc;
  char** argv;  // read again on SIGHUP
  // [record] as last loaded: SIGHUP applies the section only when it changed, so a reload for
  // other reasons keeps what PUT /v1/recording switched.
  cfg::RecordConfig loaded_record;
  uv_signal_t sigint{}, sigterm{}, sighup{};
  uv_timer_t drain_timer{};
};

// SIGTERM/SIGINT: drain. /readyz turns 503 at once; after server.drain_delay_ms the admin API
// closes, and run() stops the workers, which send every device goaway with a spread
// reconnect-after. A second SIGTERM is ignored until the process exits (systemd's stop sends
// SIGTERM, then SIGKILL after its timeout); a second SIGINT (Ctrl-C twice) ends it at once.
void stop_admin(AdminLoop* admin) {
  admin->inbox->close();
  if (admin->events) admin->events->close();
  admin->http->close([admin] {
    for (uv_signal_t* s : {&admin->sigint, &admin->sigterm, &admin->sighup})
      uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
    // Closing the last uv_signal_t for SIGTERM restored its default action (end the process).
    std::signal(SIGTERM, SIG_IGN);
    uv_close(reinterpret_cast<uv_handle_t*>(&admin->drain_timer), nullptr);
  });
}

void on_stop_signal(uv_signal_t* handle, int signum) {
  auto* admin = static_cast<AdminLoop*>(handle->data);
  if (admin->server->draining()) {
    if (signum != SIGINT) return;
    KITE_LOG(warn, "server.interrupted", {{"detail", "second SIGINT: exiting without draining"}});
    std::_Exit(128 + SIGINT);
  }
  admin->server->set_draining();
  KITE_LOG(info, "server.draining",
           {{"signal", signum}, {"delay_ms", admin->config->server.drain_delay_ms}});
  uv_timer_start(
      &admin->drain_timer,
      [](uv_timer_t* timer) { stop_admin(static_cast<AdminLoop*>(timer->data)); },
      admin->config->server.drain_delay_ms, 0);
}

// The TLS device listener's context, from [tls]; on failure, why (the files named and OpenSSL's
// reason). `previous`: the context it replaces, whose ticket keys it keeps.
std::shared_ptr<const kite::tls::TlsContext> device_tls_context(
    const cfg::TlsConfig& tls, const kite::tls::TlsContext* previous, std::string& error) {
  auto created = kite::tls::TlsContext::create(cfg::device_tls_settings(tls), previous);
  error = std::move(created.error);
  return std::move(created.context);
}

// SIGHUP: [tls] files (certificate, key, CA, CRL) and choices are loaded again for new
// connections; a failure keeps the running context. Passing the old context keeps its ticket
// keys, so devices still resume after the reload; live sessions whose certificate the new CRL
// revokes are closed with Revoked.
void reload_tls(Server& server, const cfg::TlsConfig& tls) {
  auto running = server.tls_context();
  if (!running) return;  // no TLS listener: [tls] listen needs a restart
  std::string error;
  auto fresh = device_tls_context(tls, running.get(), error);
  if (!fresh) {
    KITE_LOG(error, "tls.reload_failed", {{"error", error}, {"detail", "the old context stays"}});
    return;
  }
  server.reload_tls(std::move(fresh));
  KITE_LOG(info, "tls.reloaded", {{"crl", tls.crl_file}});
}

// SIGHUP: the configuration is read again (file, environment, the original flags). Applied at
// once: the log level and format, the per-IP admission limits, the key material (keys,
// revocations, tokens, services), kicking devices revoked now, the admin API's bearer tokens,
// both ports' address lists and per-IP caps (for new connections and requests; open ones and
// running event streams stay), and [record] when it changed since it was last loaded. Listeners,
// workers, store, session and compression settings need a restart: a changed value there is logged,
// not applied.
void on_reload_signal(uv_signal_t* handle, int) {
  auto* admin = static_cast<AdminLoop*>(handle->data);
  auto command = cfg::parse_command_line(admin->argc, admin->argv);
  if (command.action != cfg::Action::run) {
    for (const auto& error : command.errors)
      KITE_LOG(error, "server.reload_failed", {{"error", error}});
    if (command.errors.empty())
      KITE_LOG(error, "server.reload_failed", {{"error", "the configuration did not load"}});
    return;
  }
  cfg::Config fresh_config = std::move(command.config);
  development_secrets(fresh_config);  // the same persisted development keys as at start
  Credentials fresh;
  if (auto error = load_credentials(fresh_config.auth, fresh); !error.empty()) {
    KITE_LOG(error, "server.reload_failed", {{"error", error}});
    return;
  }
  if (auto error = apply_access(fresh_config, *admin->server, *admin->tokens); !error.empty()) {
    KITE_LOG(error, "server.reload_failed", {{"error", error}});
    return;
  }
  log::configure(fresh_config.log.level, fresh_config.log.format);
  auto& auth = admin->server->auth();
  auth.admission().set_limits(admission_limits(fresh_config.auth));
  const ReloadEffects effects = auth.reload(std::move(fresh));
  admin->server->apply_reload(effects);
  reload_tls(*admin->server, fresh_config.tls);
  const cfg::Config& running = *admin->config;
  if (!(fresh_config.record == admin->loaded_record)) {
    admin->server->set_recording(record_settings(fresh_config.record, running.server.data_dir));
    admin->loaded_record = fresh_config.record;
    KITE_LOG(info, "record.reloaded",
             {{"enabled", fresh_config.record.enabled},
              {"devices", fresh_config.record.devices.size()},
              {"directory", admin->server->recording().directory.string()}});
  }
  for (auto [section, changed] :
       {std::pair{"server", !(fresh_config.server == running.server)},
        std::pair{"session", !(fresh_config.session == running.session)},
        std::pair{"store", !(fresh_config.store == running.store)},
        std::pair{"events", !(fresh_config.events == running.events)},
        std::pair{"compression", !(fresh_config.compression == running.compression)},
        std::pair{"admin.max_body_bytes",
                  fresh_config.admin.max_body_bytes != running.admin.max_body_bytes},
        std::pair{"admin.tls_*", fresh_config.admin.tls_cert_file != running.admin.tls_cert_file ||
                                     fresh_config.admin.tls_key_file != running.admin.tls_key_file},
        std::pair{"tls.listen", fresh_config.tls.listen != running.tls.listen},
        std::pair{"auth.handshake_timeout_ms",
                  fresh_config.auth.handshake_timeout_ms != running.auth.handshake_timeout_ms}}) {
    if (changed)
      KITE_LOG(warn, "server.reload_needs_restart",
               {{"section", section}, {"detail", "changed settings apply at the next start"}});
  }
  KITE_LOG(info, "server.reloaded",
           {{"newly_revoked", effects.revoked.size()},
            {"services_rekeyed", effects.services_rekeyed.size()},
            {"token_key_changed", effects.token_key_changed},
            {"admin_tokens", admin->tokens->size()},
            {"log_level", log::level_name(fresh_config.log.level)}});
}

int run(cfg::Config config, const std::string& config_file, int argc, char** argv) {
  ::umask(0077);  // what kited writes (store, secrets, recordings) is for its own user only
  log::configure(config.log.level, config.log.format);
  development_secrets(config);
  cfg::warn_loose_secret_files(config, config_file);

  Credentials credentials;
  if (auto error = load_credentials(config.auth, credentials); !error.empty()) {
    std::fprintf(stderr, "kited: %s\n", error.c_str());
    return cfg::kExitUsage;
  }
  std::unique_ptr<MessageStore> store;
  if (config.store.engine == cfg::StoreEngine::memory) {
    store = make_memory_store(store_options(config.store));
  } else {
    std::string error;
    if (auto failed = cfg::create_private_directories(config.server.data_dir); !failed.empty())
      std::fprintf(stderr, "kited: %s\n", failed.c_str());
    store = open_rocksdb_store((std::filesystem::path(config.server.data_dir) / "store").string(),
                               store_options(config.store), error);
    if (!store) {
      std::fprintf(stderr, "kited: cannot open the store: %s\n", error.c_str());
      return cfg::kExitRuntimeFailure;
    }
  }
  CoreOptions options = core_options(config);
  if (auto error = cfg::apply_compression(config.compression, options.session); !error.empty()) {
    std::fprintf(stderr, "kited: compression.dictionary_file: %s\n", error.c_str());
    return cfg::kExitUsage;
  }
  // Resume tokens outlive a restart only with the store that does (resume_tokens.h).
  std::array<std::uint8_t, ResumeTokens::kKeySize> resume_key{};
  if (config.store.engine != cfg::StoreEngine::memory) {
    const auto path = std::filesystem::path(config.server.data_dir) / "resume-key";
    if (auto error = ResumeTokens::load_or_create_key(path.string(), resume_key); !error.empty()) {
      std::fprintf(stderr, "kited: resume key: %s\n", error.c_str());
      return cfg::kExitRuntimeFailure;
    }
  }
  AdmissionLimits limits = admission_limits(config.auth);
  Server server(std::move(options), std::move(store),
                std::make_unique<Authenticator>(std::move(credentials), limits,
                                                config.store.engine == cfg::StoreEngine::memory
                                                    ? std::span<const std::uint8_t>{}
                                                    : std::span<const std::uint8_t>(resume_key)));
  if (!config.tls.listen.empty()) {
    std::string error;
    auto tls = device_tls_context(config.tls, nullptr, error);
    if (!tls) {
      std::fprintf(stderr, "kited: tls: %s\n", error.c_str());
      return cfg::kExitUsage;
    }
    server.set_tls_context(std::move(tls));
  }
  std::shared_ptr<const kite::tls::TlsContext> admin_tls;
  if (!config.admin.tls_cert_file.empty()) {
    auto created = kite::tls::TlsContext::create(cfg::admin_tls_settings(config.admin));
    if (!created.context) {
      std::fprintf(stderr, "kited: admin.tls: %s\n", created.error.c_str());
      return cfg::kExitUsage;
    }
    admin_tls = std::move(created.context);
  }
  // Ids start at the boot time in microseconds: above every id an earlier run gave.
  events::EventLog event_log({config.events.retention_events, config.events.retention_bytes,
                              static_cast<std::int64_t>(config.events.retention_ms)},
                             static_cast<std::uint64_t>(wall_clock_us()));
  const bool events_on = config.events.retention_events != 0;
  if (events_on) server.set_event_log(&event_log);
  http::TokenSet tokens;  // outlives the router, which the HTTP server below owns
  if (auto error = apply_access(config, server, tokens); !error.empty()) {
    std::fprintf(stderr, "kited: %s\n", error.c_str());
    return cfg::kExitUsage;
  }
  if (auto error = server.start(); !error.empty()) {
    std::fprintf(stderr, "kited: %s\n", error.c_str());
    return cfg::kExitRuntimeFailure;
  }

  uv_loop_t loop;
  uv_loop_init(&loop);
  http::Router router;
  LoopInbox inbox(&loop);  // outlives the workers: server.stop() below joins them first
  std::optional<api::EventHub> event_hub;
  if (events_on) event_hub.emplace(&loop, event_log, server.groups());
  add_event_routes(router, event_hub ? &*event_hub : nullptr, &tokens);
  add_metrics_routes(router, server, &tokens);
  const AdminApiOptions api_options{&tokens, config.session.max_frame - 1024,
                                    config.store.default_ttl_ms};
  // The inbox is closed, dropping the slices it holds for bulk_sends, before bulk_sends goes.
  BulkSends bulk_sends(server, inbox, api_options);
  add_group_routes(router, server, bulk_sends, api_options);
  add_admin_routes(router, server, inbox, api_options);
  add_recording_routes(router, server, api_options);
  http::HttpServerOptions http_options;
  http_options.limits.max_body_bytes = config.admin.max_body_bytes;
  http_options.deadlines = {config.admin.head_timeout_ms, config.admin.min_body_rate};
  http_options.gate = &server.admin_gate();
  http_options.tls = admin_tls;
  http::HttpServer http(&loop, std::move(router), http_options);
  auto admin_endpoint = cfg::parse_endpoint(config.server.admin_listen);
  if (auto error = http.listen(admin_endpoint->host, admin_endpoint->port); !error.empty()) {
    std::fprintf(stderr, "kited: admin API: %s\n", error.c_str());
    http.close([] {});
    inbox.close();
    if (event_hub) event_hub->close();
    uv_run(&loop, UV_RUN_DEFAULT);  // the server's handles close before it goes away
    server.stop(kite::protocol::Reason::ServerShutdown);
    uv_loop_close(&loop);
    return cfg::kExitRuntimeFailure;
  }
  AdminLoop admin{
      &loop, &server, &config,      &http, &tokens, &inbox, event_hub ? &*event_hub : nullptr,
      argc,  argv,    config.record};
  uv_timer_init(&loop, &admin.drain_timer);
  admin.drain_timer.data = &admin;
  for (auto [signal_handle, signum] :
       {std::pair{&admin.sigint, SIGINT}, std::pair{&admin.sigterm, SIGTERM},
        std::pair{&admin.sighup, SIGHUP}}) {
    uv_signal_init(&loop, signal_handle);
    signal_handle->data = &admin;
    uv_signal_start(signal_handle, signum == SIGHUP ? on_reload_signal : on_stop_signal, signum);
  }

  std::string devices;
  for (const auto& listen : config.server.device_listen)
    devices += (devices.empty() ? "" : ", ") + listen;
  if (!config.tls.listen.empty()) devices += ", TLS on " + config.tls.listen;
  const char* scheme = admin_tls ? "https" : "http";
  std::printf("kited: devices on %s, admin API on %s://%s:%d (%u workers)\n", devices.c_str(),
              scheme, admin_endpoint->host.c_str(), http.port(), server.options().workers);
  std::printf(
      "kited: try  curl -H 'Authorization: Bearer <admin token>' -d '{\"payload\":\"hi\"}' "
      "%s://%s:%d/v1/devices/thermostat-1/messages\n",
      scheme, admin_endpoint->host.c_str(), http.port());
  std::fflush(stdout);
  KITE_LOG(info, "server.started", {{"workers", server.options().workers}});
  if (server.recording().enabled)
    KITE_LOG(info, "record.on",
             {{"directory", server.recording().directory.string()},
              {"devices", server.recording().devices.size()}});

  uv_run(&loop, UV_RUN_DEFAULT);
  server.stop(kite::protocol::Reason::ServerShutdown);
  uv_loop_close(&loop);
  KITE_LOG(info, "server.stopped", {});
  return cfg::kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  auto command = cfg::parse_command_line(argc, argv);
  switch (command.action) {
    case cfg::Action::help:
    case cfg::Action::version:
      std::cout << command.text << (command.text.ends_with('\n') ? "" : "\n");
      return cfg::kExitOk;
    case cfg::Action::print_default_config:
      std::cout << cfg::default_config_toml();
      return cfg::kExitOk;
    case cfg::Action::check_config: {
      // The dictionary is read here, not by validate(): a SIGHUP reload would otherwise depend
      // on a file kited no longer reads once started.
      kite::protocol::SessionConfig session;
      if (auto error = cfg::apply_compression(command.config.compression, session);
          !error.empty()) {
        std::cerr << "kited: compression.dictionary_file: " << error << "\n";
        return cfg::kExitUsage;
      }
      std::cout << "kited: configuration is valid\n";
      return cfg::kExitOk;
    }
    case cfg::Action::error:
      for (const auto& error : command.errors) std::cerr << "kited: " << error << "\n";
      return command.exit_code;
    case cfg::Action::run:
      break;
  }
  return run(std::move(command.config), command.config_file, argc, argv);
}
