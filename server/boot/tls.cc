#include "boot/tls.h"

#include "common/log.h"
#include "config/tls_settings.h"

namespace kite::server::boot {

namespace cfg = kite::server::config;

std::shared_ptr<const kite::tls::TlsContext> device_tls_context(
    const cfg::TlsConfig& tls, const kite::tls::TlsContext* previous, std::string& error) {
  auto created = kite::tls::TlsContext::create(cfg::device_tls_settings(tls), previous);
  error = std::move(created.error);
  return std::move(created.context);
}

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

std::shared_ptr<const kite::tls::TlsContext> admin_tls_context(const cfg::AdminConfig& admin,
                                                               std::string& error) {
  if (admin.tls_cert_file.empty()) return nullptr;
  auto created = kite::tls::TlsContext::create(cfg::admin_tls_settings(admin));
  error = std::move(created.error);
  return std::move(created.context);
}

}  // namespace kite::server::boot
