#include "publish/publisher.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <mutex>

#include "common/deadline.h"
#include "common/exit_code.h"
#include "common/stop_signals.h"
#include "kite/protocol/hex.h"
#include "publish/line_reader.h"

namespace kite::cli {
namespace {

// How often a wait for acks or for room looks at -W and at signals.
constexpr auto kCheckEvery = std::chrono::milliseconds(100);

void say(const std::string& line) {
  std::fprintf(stderr, "kite publish: %s\n", line.c_str());
}

// "ConnectFailed (connection refused)"
std::string reason_text(const StateChange& change) {
  std::string text(change.reason);
  if (!change.detail.empty()) text += " (" + std::string(change.detail) + ")";
  return text;
}

class Publisher {
 public:
  explicit Publisher(const PublishSettings& settings)
      : s_(settings), deadline_(settings.timeout_ms) {}

  int run() {
    Client client(s_.client);  // a thread of its own: this one reads the input meanwhile
    client.on_state([this](const StateChange& change) { on_state(change); });
    if (client.start() != Error::Ok) {
      say("cannot start: " + client.start_error());
      return kExitUsage;
    }
    const bool input_done = publish_input(client);
    if (input_done) wait_until_settled();
    const int exit_code = verdict(input_done);
    {
      std::lock_guard lock(mutex_);
      giving_up_ = true;  // what stop() fails from here on was counted already
    }
    client.stop();
    return exit_code;  // ~Client waits for its thread
  }

 private:
  // Publishes every message of the input; false when it stopped early (-W, a signal, or the
  // client ended for good).
  bool publish_input(Client& client) {
    if (s_.payload) return publish_one(client, *s_.payload);
    LineReader reader(STDIN_FILENO);
    std::string line;
    for (;;) {
      switch (reader.next(line, [this] { return should_stop(); })) {
        case LineReader::Got::End:
          return true;
        case LineReader::Got::Stopped:
          return false;
        case LineReader::Got::Line:
          if (line.empty()) continue;  // as kite send: empty lines are skipped
          if (!publish_one(client, line)) return false;
      }
    }
  }

  // Hands one message to the client, waiting for room while its queue is full. False when
  // kite must stop.
  bool publish_one(Client& client, const std::string& text) {
    const std::uint64_t number = ++numbered_;
    std::string bytes = text;
    if (s_.hex) {
      auto decoded = protocol::hex_decode(text);
      if (!decoded) {
        say("message " + std::to_string(number) + ": not hex digits: not sent");
        std::lock_guard lock(mutex_);
        ++failed_;
        return true;
      }
      bytes.assign(decoded->begin(), decoded->end());
    }
    const Publish message{bytes, s_.topic, s_.content_type, s_.at_least_once, 0};
    for (;;) {
      const Error error = client.publish(message, [this, number](Error e, std::string_view detail) {
        on_done(number, e, detail);
      });
      std::unique_lock lock(mutex_);
      if (error == Error::Ok) {
        ++published_;
        return true;
      }
      if (error != Error::QueueFull) {
        if (error == Error::Stopped) {
          // The client ended (refused credentials) before this message reached it: it was read,
          // so it is counted among those not acknowledged rather than vanishing from the total.
          ++published_;
          return false;
        }
        say("message " + std::to_string(number) + ": " + std::string(describe(error)));
        ++failed_;
        return true;  // too large or invalid: the next message may do
      }
      // Full: wait for kited to acknowledge some (on_done wakes this), then try again.
      changed_.wait_for(lock, kCheckEvery);
      if (stop_locked()) {
        ++published_;  // read but never handed over: not acknowledged either
        return false;
      }
    }
  }

  // Waits until every message handed to the client is done, or kite must stop.
  void wait_until_settled() {
    std::unique_lock lock(mutex_);
    while (acked_ + refused_ < published_ && !stop_locked()) changed_.wait_for(lock, kCheckEvery);
  }

  bool should_stop() {
    std::lock_guard lock(mutex_);
    return stop_locked();
  }
  bool stop_locked() const { return ended_.has_value() || stop_requested() || deadline_.passed(); }

  // Client thread: a message is done.
  void on_done(std::uint64_t number, Error error, std::string_view detail) {
    std::lock_guard lock(mutex_);
    // Stopped: the client stopped (refused credentials, or kite gave up), not kited refusing
    // this message: it stays among those not acknowledged, which verdict() counts.
    if (giving_up_ || error == Error::Stopped) return;
    if (error == Error::Ok) {
      ++acked_;
      if (!s_.quiet) {
        std::printf("%llu %s\n", static_cast<unsigned long long>(number),
                    s_.at_least_once ? "acked" : "sent");
        std::fflush(stdout);
      }
    } else {
      ++refused_;
      say("message " + std::to_string(number) + ": " +
          std::string(detail.empty() ? describe(error) : detail));
    }
    changed_.notify_all();
  }

  void on_state(const StateChange& change);
  int verdict(bool input_done);

  const PublishSettings& s_;
  const Deadline deadline_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::uint64_t numbered_ = 0;  // messages read (main thread only)
  // Under mutex_: read and meant for the client (handed over, or stopped on the way),
  // acknowledged, refused by the client or kited, not sent (invalid).
  std::uint64_t published_ = 0, acked_ = 0, refused_ = 0, failed_ = 0;
  bool connected_once_ = false;
  std::optional<int> ended_;  // the client stopped for good: the exit code that says why
  bool giving_up_ = false;
};

// Client thread: connection state, said on stderr as kite listen says it.
void Publisher::on_state(const StateChange& change) {
  const std::string& id = s_.client.device_id;
  std::lock_guard lock(mutex_);
  const auto end = [&](int exit_code, const std::string& why) {
    say(why);
    if (!ended_) ended_ = exit_code;
    changed_.notify_all();
  };
  switch (change.state) {
    case State::Connecting:
      return say("connecting to " + s_.client.host + ":" + std::to_string(s_.client.port) + " as " +
                 id);
    case State::Connected:
      connected_once_ = true;
      return say(s_.client.tls.enabled ? "connected over TLS" : "connected");
    case State::Disconnected:
      if (change.reason == "TlsFailed" && !connected_once_)
        return end(kExitUnreachable, "TLS failed: " + std::string(change.detail) +
                                         "; check --ca, --server-name, --cert and that --port "
                                         "is kited's tls.listen");
      return say("disconnected: " + reason_text(change) + "; retrying in " +
                 std::to_string(change.retry_in_ms) + " ms");
    case State::Replaced:
      return end(kExitFailed, "replaced: another connection took device id " + id);
    case State::Revoked:
      return end(kExitUnreachable, "revoked: kited revoked device " + id);
    case State::Stopped:
      if (change.reason == "Stopped") return;  // by kite, once done
      if (change.reason == "AuthFailed" || change.reason == "TokenExpired")
        return end(kExitUnreachable, "stopped: " + reason_text(change) +
                                         ": kited refused the credentials for " + id +
                                         "; check --key, --master-key, --token or --cert");
      return end(kExitFailed, "stopped: " + reason_text(change));
  }
}

// The exit code, once the input is done or kite stopped early, with the line that says why.
int Publisher::verdict(bool input_done) {
  std::lock_guard lock(mutex_);
  const std::uint64_t open = published_ - std::min(published_, acked_ + refused_);
  const std::string unacknowledged = std::to_string(open) + " of " + std::to_string(published_) +
                                     " message(s) not " +
                                     (s_.at_least_once ? "acknowledged" : "sent");
  if (ended_) {
    if (open > 0 || !input_done) say(unacknowledged);
    return *ended_;
  }
  if (stop_requested()) {
    say(std::string(stop_signal_name()) + ": stopping: " + unacknowledged);
    return open == 0 && refused_ + failed_ == 0 ? kExitOk : kExitFailed;
  }
  if (open > 0 || !input_done) {  // -W ran out
    if (!connected_once_) {
      say("gave up after " + waited_text(s_.timeout_ms) + " (-W): could not connect to " +
          s_.client.host + ":" + std::to_string(s_.client.port));
      return kExitUnreachable;
    }
    say("gave up after " + waited_text(s_.timeout_ms) + " (-W): " + unacknowledged +
        (input_done ? "" : ", input not read to its end"));
    return kExitFailed;
  }
  if (refused_ + failed_ > 0) {
    say(std::to_string(refused_ + failed_) + " message(s) not sent or refused");
    return kExitFailed;
  }
  return kExitOk;
}

}  // namespace

int run_publisher(const PublishSettings& settings) {
  watch_stop_signals();
  return Publisher(settings).run();
}

}  // namespace kite::cli
