#include "listen/listener.h"

#include <uv.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/exit_code.h"
#include "listen/command_script.h"

namespace kite::cli {
namespace {

void say(const std::string& line) {
  std::fprintf(stderr, "kite listen: %s\n", line.c_str());
}

std::string duration_text(std::uint64_t ms) {
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// "ConnectFailed (connection refused)"
std::string reason_text(const StateChange& change) {
  std::string text(change.reason);
  if (!change.detail.empty()) text += " (" + std::string(change.detail) + ")";
  return text;
}

class Listener {
 public:
  explicit Listener(const ListenSettings& settings) : s_(settings) {}

  int run() {
    uv_loop_init(&loop_);
    for (auto [handle, signum] : {std::pair{&sigint_, SIGINT}, std::pair{&sigterm_, SIGTERM}}) {
      uv_signal_init(&loop_, handle);
      handle->data = this;
      uv_signal_start(handle, on_signal, signum);
    }
    uv_timer_init(&loop_, &deadline_);
    deadline_.data = this;
    if (s_.timeout_ms > 0) uv_timer_start(&deadline_, on_deadline, s_.timeout_ms, 0);

    // With -C, finish() stops the client at the N-th message: the SDK neither delivers nor
    // acknowledges what came after it, so kited keeps that for the next listener.
    client_ = std::make_unique<Client>(s_.client, &loop_);
    client_->on_message([this](const Message& m) { on_message(m); });
    client_->on_command([this](const Command& c) { return on_command(c); });
    client_->on_state([this](const StateChange& change) { on_state(change); });
    if (Error error = client_->start(); error != Error::Ok) {
      say("cannot start: " + client_->start_error());
      exit_code_ = kExitUsage;
      close_handles();
    } else {
      for (const auto& group : s_.groups) join(group);
      uv_run(&loop_, UV_RUN_DEFAULT);  // until the client has stopped and every handle closed
    }
    client_.reset();                 // its handles close on the loop, so run it once more
    uv_run(&loop_, UV_RUN_DEFAULT);  // returns at once when nothing is left
    uv_loop_close(&loop_);
    return exit_code_.value_or(kExitFailed);
  }

 private:
  static void on_signal(uv_signal_t* handle, int signum) {
    auto& self = *static_cast<Listener*>(handle->data);
    say(std::string(signum == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping");
    // With no watcher left libuv restores the default action: a second Ctrl-C ends kite at once
    // should the goodbye to the server hang.
    uv_signal_stop(&self.sigint_);
    uv_signal_stop(&self.sigterm_);
    self.finish(kExitOk);
  }

  static void on_deadline(uv_timer_t* timer) {
    auto& self = *static_cast<Listener*>(timer->data);
    const std::string waited = duration_text(self.s_.timeout_ms) + " (-W)";
    if (!self.connected_once_) {
      // Never connected: kited is not there (or not on --host/--port), as exit code 3 says.
      say("gave up after " + waited + ": could not connect to " + self.s_.client.host + ":" +
          std::to_string(self.s_.client.port));
      return self.finish(kExitUnreachable);
    }
    std::string got = std::to_string(self.received_);
    if (self.s_.count > 0) got += " of " + std::to_string(self.s_.count);
    say("gave up after " + waited + ": " + got + " message(s) received");
    self.finish(kExitFailed);
  }

  void join(const std::string& group) {
    Error error = client_->join(group, [this, group](Error e, std::string_view detail) {
      if (e == Error::Ok) return say("joined group " + group);
      if (e == Error::Stopped) return;  // the state change says why
      say("cannot join group " + group + ": " + std::string(detail.empty() ? describe(e) : detail));
      finish(kExitFailed);  // a listener deaf to the group it was asked to hear is no use
    });
    if (error != Error::Ok) {
      say("cannot join group " + group + ": " + std::string(describe(error)));
      finish(kExitFailed);
    }
  }

  void on_message(const Message& message) {
    ++received_;
    const std::string line = format_message(message, s_.format);
    // Flushed per message: whatever reads the pipe sees each one as it arrives.
    if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() ||
        std::fflush(stdout) != 0) {
      if (!exit_code_) say(std::string("cannot write to stdout: ") + std::strerror(errno));
      return finish(kExitFailed);
    }
    if (received_ == s_.count) finish(kExitOk);
  }

  Reply on_command(const Command& command) {
    const std::string name(command.name);
    if (s_.on_command.empty()) {
      say("command " + name + ": answered 501 (no --on-command script)");
      return {501, "kite listen was started without --on-command: it answers no commands"};
    }
    Reply reply = run_command_script(s_.on_command, command);
    say("command " + name + ": status " + std::to_string(reply.status) + ", " +
        std::to_string(reply.payload.size()) + " bytes");
    return reply;
  }

  void on_state(const StateChange& change) {
    const std::string& id = s_.client.device_id;
    switch (change.state) {
      case State::Connecting:
        return say("connecting to " + s_.client.host + ":" + std::to_string(s_.client.port) +
                   " as " + id);
      case State::Connected: {
        const bool again = connected_once_;
        connected_once_ = true;
        std::string line = s_.client.tls.enabled ? "connected over TLS" : "connected";
        std::vector<std::string> notes;
        if (change.tls_resumed) notes.push_back("TLS session resumed");
        if (change.dictionary != 0)
          notes.push_back("compressing with dictionary " + std::to_string(change.dictionary));
        if (change.resumed) {
          notes.push_back("session resumed");
        } else if (again) {
          // Not resumed after an earlier session: kited lost its history (a new store).
          notes.push_back("a new session: messages queued before may be lost");
        }
        for (std::size_t i = 0; i < notes.size(); ++i) line += (i == 0 ? " (" : ", ") + notes[i];
        return say(notes.empty() ? line : line + ")");
      }
      case State::Disconnected:
        if (change.reason == "TlsFailed" && !connected_once_) {
          // Never got in: a CA, a name or a certificate to fix, not a wait. (The SDK would go on
          // retrying, for a server that gets fixed; a person at a terminal wants the reason.)
          say("TLS failed: " + std::string(change.detail) +
              "; check --ca, --server-name, --cert and that --port is kited's tls.listen");
          return finish(kExitUnreachable);
        }
        return say("disconnected: " + reason_text(change) + "; retrying in " +
                   std::to_string(change.retry_in_ms) + " ms");
      case State::Replaced:
        say("replaced: another connection took device id " + id + "; not reconnecting");
        return ended(kExitFailed);
      case State::Revoked:
        say("revoked: kited revoked device " + id + " (" + reason_text(change) + ")");
        return ended(kExitUnreachable);
      case State::Stopped:
        if (change.reason == "Stopped") {
          say("stopped");
          return ended(kExitOk);  // by us: finish() has set the exit code already
        }
        if (change.reason == "AuthFailed" || change.reason == "TokenExpired") {
          const bool by_certificate =
              s_.client.key.empty() && s_.client.token.empty() && !s_.client.tls.cert_file.empty();
          say("stopped: " + reason_text(change) + ": kited refused the credentials for " + id +
              (by_certificate ? "; check that --cert names this device (kited's tls.device_id_from)"
                              : "; check --key, --master-key or --token"));
          return ended(kExitUnreachable);
        }
        say("stopped: " + reason_text(change));
        return ended(kExitFailed);
    }
  }

  // The first reason to end decides the exit code; the client's final state change follows.
  void finish(int exit_code) {
    if (!exit_code_) exit_code_ = exit_code;
    uv_timer_stop(&deadline_);
    client_->stop();
  }

  // The client stopped for good: once its handles and ours are closed, uv_run() returns.
  void ended(int exit_code) {
    if (!exit_code_) exit_code_ = exit_code;
    close_handles();
  }

  void close_handles() {
    if (handles_closed_) return;
    handles_closed_ = true;
    uv_close(reinterpret_cast<uv_handle_t*>(&sigint_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&sigterm_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&deadline_), nullptr);
  }

  const ListenSettings& s_;
  uv_loop_t loop_{};
  uv_signal_t sigint_{}, sigterm_{};
  uv_timer_t deadline_{};
  std::unique_ptr<Client> client_;
  std::uint64_t received_ = 0;
  bool connected_once_ = false;
  std::optional<int> exit_code_;
  bool handles_closed_ = false;
};

}  // namespace

int run_listener(const ListenSettings& settings) {
  return Listener(settings).run();
}

}  // namespace kite::cli
