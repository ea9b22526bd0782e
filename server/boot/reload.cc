// SIGHUP: the configuration is read again (file, environment, the original flags). Applied at
// once: the log level and format, the per-IP admission limits, the key material (keys,
// revocations, tokens, services), kicking devices revoked now, the admin API's bearer tokens,
// both ports' address lists and per-IP caps (for new connections and requests; open ones and
// running event streams stay), the TLS listener's files, and [record] when it changed since it
// was last loaded. Listeners, workers, store, session, compression and webhook settings need a
// restart: a changed value there is logged, not applied.
#include "api/access.h"
#include "boot/admin_loop.h"
#include "boot/credentials.h"
#include "boot/options.h"
#include "boot/tls.h"
#include "common/log.h"
#include "config/cli.h"

namespace kite::server::boot {
namespace {

namespace cfg = kite::server::config;

void warn_restart_needed(const cfg::Config& fresh, const cfg::Config& running) {
  for (auto [section, changed] :
       {std::pair{"server", !(fresh.server == running.server)},
        std::pair{"session", !(fresh.session == running.session)},
        std::pair{"store", !(fresh.store == running.store)},
        std::pair{"events", !(fresh.events == running.events)},
        std::pair{"compression", !(fresh.compression == running.compression)},
        std::pair{"admin.max_body_bytes",
                  fresh.admin.max_body_bytes != running.admin.max_body_bytes},
        std::pair{"admin.tls_*", fresh.admin.tls_cert_file != running.admin.tls_cert_file ||
                                     fresh.admin.tls_key_file != running.admin.tls_key_file},
        std::pair{"tls.listen", fresh.tls.listen != running.tls.listen},
        std::pair{"websocket", !(fresh.websocket == running.websocket)},
        std::pair{"webhooks", fresh.webhooks != running.webhooks},
        std::pair{"auth.handshake_timeout_ms",
                  fresh.auth.handshake_timeout_ms != running.auth.handshake_timeout_ms}}) {
    if (changed)
      KITE_LOG(warn, "server.reload_needs_restart",
               {{"section", section}, {"detail", "changed settings apply at the next start"}});
  }
}

void reload_recording(AdminLoop& admin, const cfg::RecordConfig& record) {
  if (record == admin.loaded_record) return;
  admin.server->set_recording(record_settings(record, admin.config->server.data_dir));
  admin.loaded_record = record;
  KITE_LOG(info, "record.reloaded",
           {{"enabled", record.enabled},
            {"devices", record.devices.size()},
            {"directory", admin.server->recording().directory.string()}});
}

// The configuration as it is now; nullopt (logged) when it does not load.
std::optional<cfg::Config> read_again(const AdminLoop& admin) {
  auto command = cfg::parse_command_line(admin.argc, admin.argv);
  if (command.action == cfg::Action::run) return std::move(command.config);
  for (const auto& error : command.errors)
    KITE_LOG(error, "server.reload_failed", {{"error", error}});
  if (command.errors.empty())
    KITE_LOG(error, "server.reload_failed", {{"error", "the configuration did not load"}});
  return std::nullopt;
}

}  // namespace

void on_reload_signal(uv_signal_t* handle, int) {
  auto* admin = static_cast<AdminLoop*>(handle->data);
  std::optional<cfg::Config> fresh_config = read_again(*admin);
  if (!fresh_config) return;
  development_secrets(*fresh_config);  // the same persisted development keys as at start
  Credentials fresh;
  if (auto error = load_credentials(fresh_config->auth, fresh); !error.empty()) {
    KITE_LOG(error, "server.reload_failed", {{"error", error}});
    return;
  }
  if (auto error = apply_access(*fresh_config, *admin->server, *admin->tokens); !error.empty()) {
    KITE_LOG(error, "server.reload_failed", {{"error", error}});
    return;
  }
  log::configure(fresh_config->log.level, fresh_config->log.format);
  auto& auth = admin->server->auth();
  auth.admission().set_limits(admission_limits(fresh_config->auth));
  const ReloadEffects effects = auth.reload(std::move(fresh));
  admin->server->apply_reload(effects);
  reload_tls(*admin->server, fresh_config->tls);
  reload_recording(*admin, fresh_config->record);
  warn_restart_needed(*fresh_config, *admin->config);
  KITE_LOG(info, "server.reloaded",
           {{"newly_revoked", effects.revoked.size()},
            {"services_rekeyed", effects.services_rekeyed.size()},
            {"token_key_changed", effects.token_key_changed},
            {"admin_tokens", admin->tokens->size()},
            {"log_level", log::level_name(fresh_config->log.level)}});
}

}  // namespace kite::server::boot
