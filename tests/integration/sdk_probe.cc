#include "sdk_probe.h"

#include "kite/protocol/handshake_crypto.h"
#include "test_device.h"

namespace kite::it {

std::string device_key_hex(const std::string& id) {
  auto key = protocol::derive_device_key(master_key(), id);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (auto b : key) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}

ClientOptions sdk_options(const std::string& id, std::uint16_t port) {
  ClientOptions options;
  options.port = port;
  options.device_id = id;
  options.key = device_key_hex(id);
  options.backoff_initial_ms = 50;
  options.lost_reconnect_spread_ms = 50;
  options.backoff_max_ms = 400;
  options.stable_after_ms = 1'000;
  return options;
}

SdkProbe::SdkProbe(Client& client, std::function<void(const Message&)> on_message,
                   std::function<void(const StateChange&)> on_state) {
  client.on_message([this, on_message = std::move(on_message)](const Message& m) {
    {
      std::lock_guard lock(mutex_);
      record_.messages.emplace_back(m.payload);
      record_.seqs.push_back(m.seq);
    }
    if (on_message) on_message(m);
    cv_.notify_all();
  });
  client.on_state([this, on_state = std::move(on_state)](const StateChange& s) {
    if (on_state) on_state(s);
    {
      std::lock_guard lock(mutex_);
      record_.state_reasons.emplace_back(s.reason);
      record_.state_times.push_back(now_ms());
      record_.states.push_back(s);
      record_.states.back().reason = {};  // the view dies with the callback
      record_.states.back().detail = {};
    }
    cv_.notify_all();
  });
  client.on_command([this](const Command& c) {
    {
      std::lock_guard lock(mutex_);
      record_.commands.emplace_back(c.name);
    }
    cv_.notify_all();
    return Reply{0, std::string(c.name) + ":" + std::string(c.payload)};
  });
}

Completion SdkProbe::completion() {
  return [this](Error e, std::string_view detail) {
    {
      std::lock_guard lock(mutex_);
      record_.completions.emplace_back(e, std::string(detail));
    }
    cv_.notify_all();
  };
}

bool SdkProbe::wait(const std::function<bool(const SdkRecord&)>& done, int timeout_ms) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] { return done(record_); });
}

SdkRecord SdkProbe::snapshot() {
  std::lock_guard lock(mutex_);
  return record_;
}

std::size_t SdkProbe::count_state(State state) {
  std::lock_guard lock(mutex_);
  std::size_t seen = 0;
  for (const auto& s : record_.states) seen += s.state == state;
  return seen;
}

bool SdkProbe::wait_state(State state, std::size_t n, int timeout_ms) {
  return wait(
      [&](const SdkRecord& r) {
        std::size_t seen = 0;
        for (const auto& s : r.states) seen += s.state == state;
        return seen >= n;
      },
      timeout_ms);
}

}  // namespace kite::it
