// The main thread's loop once the workers run: the admin HTTP API and the signals. SIGINT and
// SIGTERM drain (drain.cc), SIGHUP reloads (reload.cc); the loop ends when a drain has closed
// the API, and then the workers stop.
#pragma once

#include <uv.h>

#include <memory>

#include "api/event_hub.h"
#include "api/loop_inbox.h"
#include "config/config.h"
#include "core/server.h"
#include "http/http_server.h"
#include "http/token_set.h"
#include "webhooks/webhook_set.h"

namespace kite::server::boot {

// What the signal handlers reach, through their handles' data.
struct AdminLoop {
  uv_loop_t* loop;
  Server* server;
  const config::Config* config;
  http::HttpServer* http;
  http::TokenSet* tokens;  // replaced in place on SIGHUP: the routes point at it
  LoopInbox* inbox;
  api::EventHub* events;  // null when the event stream is off
  int argc;
  char** argv;  // read again on SIGHUP
  // [record] as last loaded: SIGHUP applies the section only when it changed, so a reload for
  // other reasons keeps what PUT /v1/recording switched.
  config::RecordConfig loaded_record;
  uv_signal_t sigint{}, sigterm{}, sighup{};
  uv_timer_t drain_timer{};
};

// SIGINT, SIGTERM (drain.cc) and SIGHUP (reload.cc).
void on_stop_signal(uv_signal_t* handle, int signum);
void on_reload_signal(uv_signal_t* handle, int signum);

// Serves the admin API on the calling thread until a drain ends it, then stops the server's
// workers. `events` null: no event stream; `hooks` (may be null): their /metrics. Returns
// kited's exit code.
int serve_admin(Server& server, const config::Config& config, events::EventLog* events,
                const webhooks::WebhookSet* hooks, http::TokenSet& tokens,
                std::shared_ptr<const kite::tls::TlsContext> admin_tls, int argc, char** argv);

}  // namespace kite::server::boot
