// SIGTERM/SIGINT: drain. /readyz turns 503 at once; after server.drain_delay_ms the admin API
// closes, and serve_admin() stops the workers, which send every device goaway with a spread
// reconnect-after. A second SIGTERM is ignored until the process exits (systemd's stop sends
// SIGTERM, then SIGKILL after its timeout); a second SIGINT (Ctrl-C twice) ends it at once.
#include <csignal>
#include <cstdlib>

#include "boot/admin_loop.h"
#include "common/log.h"

namespace kite::server::boot {
namespace {

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

}  // namespace

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

}  // namespace kite::server::boot
