// game_client: a player built on kite::Client, the client running on the program's own libuv
// loop (one thread for everything: the client, a move timer and the signal handlers).
//
// It joins a room (a Kite group), prints every message it receives (what the backend broadcasts
// to the room with POST /v1/messages {"group": ROOM, ...}) as one line on stdout, and sends a
// move on topic "move" every --interval ms once it is in the room:
//   {"n":1,"x":0,"y":1}       n counts the moves; x and y walk at random
// Moves come from the timer (not from stdin), so several players can run unattended.
//
//   game_client --id player-1 --key HEX --room room-7 [--host 127.0.0.1] [--port 7000]
//               [--interval 1000] [--moves N]
//
// With --moves N it stops once N moves are done (confirmed by the server, or failed); without
// it, it plays until SIGINT or SIGTERM. Both exit 0; 1 when the server refused the room or ended
// the device for good. Connection changes go to stderr.
#include <kite/client.h>
#include <uv.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <string_view>

namespace {

struct Args {
  kite::ClientOptions client;
  std::string room;
  long interval_ms = 1000;
  long moves = 0;  // 0: until a signal
};

class Player {
 public:
  explicit Player(const Args& args) : args_(args) {}

  int run() {
    uv_loop_init(&loop_);
    uv_timer_init(&loop_, &move_timer_);
    move_timer_.data = this;
    for (auto [handle, signum] : {std::pair{&sigint_, SIGINT}, std::pair{&sigterm_, SIGTERM}}) {
      uv_signal_init(&loop_, handle);
      handle->data = this;
      uv_signal_start(handle, on_signal, signum);
    }

    // On the caller's loop: every call on this thread, and callbacks run here too.
    client_ = std::make_unique<kite::Client>(args_.client, &loop_);
    client_->on_message([](const kite::Message& m) {
      // One line per message, flushed at once so that a pipe sees it now.
      if (!m.topic.empty()) std::printf("%.*s: ", int(m.topic.size()), m.topic.data());
      std::printf("%.*s\n", int(m.payload.size()), m.payload.data());
      std::fflush(stdout);
    });  // returning acknowledges the message: it is not delivered again
    client_->on_state([this](const kite::StateChange& s) { on_state(s); });

    if (kite::Error error = client_->start(); error != kite::Error::Ok) {
      std::fprintf(stderr, "game_client: cannot start: %s\n", kite::describe(error).data());
      exit_code_ = 2;
      close_handles();
    } else {
      // Queued until the connection is open; the server confirms it, then we play.
      error = client_->join(args_.room, [this](kite::Error e, std::string_view detail) {
        if (e == kite::Error::Ok) return joined();
        if (e == kite::Error::Stopped) return;  // stopping anyway
        std::fprintf(stderr, "game_client: cannot join %s: %.*s\n", args_.room.c_str(),
                     int(detail.size()), detail.data());
        finish(1);
      });
      if (error != kite::Error::Ok) {  // e.g. Invalid: a room name above 128 bytes
        std::fprintf(stderr, "game_client: cannot join %s: %s\n", args_.room.c_str(),
                     kite::describe(error).data());
        finish(1);
      }
    }
    uv_run(&loop_, UV_RUN_DEFAULT);  // until the client has stopped and our handles are closed
    client_.reset();
    uv_run(&loop_, UV_RUN_DEFAULT);  // whatever the client still had to close
    uv_loop_close(&loop_);
    std::fprintf(stderr, "game_client: %ld moves sent, %ld confirmed\n", sent_, confirmed_);
    return exit_code_;
  }

 private:
  void joined() {
    std::fprintf(stderr, "game_client: joined room %s\n", args_.room.c_str());
    uv_timer_start(&move_timer_, on_move_timer, args_.interval_ms, args_.interval_ms);
  }

  static void on_move_timer(uv_timer_t* timer) {
    auto& self = *static_cast<Player*>(timer->data);
    self.move();
  }

  void move() {
    x_ += step_(random_) - 1;  // -1, 0 or +1
    y_ += step_(random_) - 1;
    const std::string json = "{\"n\":" + std::to_string(++sent_) + ",\"x\":" + std::to_string(x_) +
                             ",\"y\":" + std::to_string(y_) + "}";
    // A move is worth little once stale: if it waits offline for 5 s, it expires.
    auto done = [this](kite::Error e, std::string_view) {
      if (e == kite::Error::Ok)
        ++confirmed_;  // the server has it
      else if (e != kite::Error::Stopped)
        std::fprintf(stderr, "game_client: a move failed: %s\n", kite::describe(e).data());
      if (++done_ == args_.moves) finish(0);  // the last move is confirmed (or failed)
    };
    kite::Error error = client_->publish({.payload = json, .topic = "move", .ttl_ms = 5'000}, done);
    if (error != kite::Error::Ok) {  // not queued: its completion will not fire
      std::fprintf(stderr, "game_client: move not sent: %s\n", kite::describe(error).data());
      if (++done_ == args_.moves) finish(0);
    }
    if (sent_ == args_.moves) uv_timer_stop(&move_timer_);
  }

  static void on_signal(uv_signal_t* handle, int signum) {
    auto& self = *static_cast<Player*>(handle->data);
    std::fprintf(stderr, "game_client: %s: stopping\n", signum == SIGINT ? "SIGINT" : "SIGTERM");
    self.finish(0);
  }

  void on_state(const kite::StateChange& s) {
    std::string line = "game_client: " + std::string(kite::describe(s.state));
    if (!s.reason.empty()) line += ": " + std::string(s.reason);
    if (!s.detail.empty()) line += " (" + std::string(s.detail) + ")";
    if (s.state == kite::State::Disconnected)
      line += "; retrying in " + std::to_string(s.retry_in_ms) + " ms";
    std::fprintf(stderr, "%s\n", line.c_str());
    if (s.state == kite::State::Replaced || s.state == kite::State::Revoked ||
        s.state == kite::State::Stopped) {
      if (s.reason != "Stopped") finish(1);  // the server ended it, not us
      close_handles();                       // the client is done: let uv_run() return
    }
  }

  // The first reason to stop decides the exit code; the client then says goodbye and reports
  // State::Stopped, which closes our handles.
  void finish(int exit_code) {
    if (finishing_) return;
    finishing_ = true;
    exit_code_ = exit_code;
    uv_timer_stop(&move_timer_);
    // With no watcher left, a second Ctrl-C ends the program at once.
    uv_signal_stop(&sigint_);
    uv_signal_stop(&sigterm_);
    client_->stop();
  }

  void close_handles() {
    if (handles_closed_) return;
    handles_closed_ = true;
    for (auto* h :
         {reinterpret_cast<uv_handle_t*>(&move_timer_), reinterpret_cast<uv_handle_t*>(&sigint_),
          reinterpret_cast<uv_handle_t*>(&sigterm_)})
      uv_close(h, nullptr);
  }

  const Args& args_;
  uv_loop_t loop_{};
  uv_timer_t move_timer_{};
  uv_signal_t sigint_{}, sigterm_{};
  std::unique_ptr<kite::Client> client_;
  std::mt19937 random_{std::random_device{}()};
  std::uniform_int_distribution<int> step_{0, 2};
  int x_ = 0, y_ = 0;
  long sent_ = 0, done_ = 0, confirmed_ = 0;
  int exit_code_ = 0;
  bool finishing_ = false;
  bool handles_closed_ = false;
};

bool parse(int argc, char** argv, Args& args) {
  if (argc % 2 != 1) return false;  // --flag value pairs
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--host")
      args.client.host = value;
    else if (flag == "--port")
      args.client.port = static_cast<std::uint16_t>(std::atoi(value));
    else if (flag == "--id")
      args.client.device_id = value;
    else if (flag == "--key")
      args.client.key = value;
    else if (flag == "--token")
      args.client.token = value;
    else if (flag == "--room")
      args.room = value;
    else if (flag == "--interval")
      args.interval_ms = std::atol(value);
    else if (flag == "--moves")
      args.moves = std::atol(value);
    else
      return false;
  }
  return args.client.port != 0 && !args.room.empty() && args.interval_ms > 0 && args.moves >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  if (!parse(argc, argv, args)) {
    std::fprintf(stderr,
                 "usage: game_client --id ID (--key HEX | --token TOKEN) --room ROOM "
                 "[--host 127.0.0.1] [--port 7000] [--interval MS] [--moves N]\n");
    return 2;
  }
  args.client.agent = "kite-example-game-client/0.1";  // shown by GET /v1/devices/{id}
  return Player(args).run();
}
