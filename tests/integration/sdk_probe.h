// Watches a kite::Client running on its own thread: everything its callbacks see is recorded
// under a lock, and the test waits for conditions with a deadline (never a bare sleep).
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "kite/client.h"
#include "kited_process.h"

namespace kite::it {

// The hex device key for `id` under the tests' master key, as `kite keys derive` prints it.
std::string device_key_hex(const std::string& id);

// Options for a client of the kited on `port`, with fast reconnects for tests.
ClientOptions sdk_options(const std::string& id, std::uint16_t port);

struct SdkRecord {
  std::vector<std::string> messages;  // payloads, in delivery order
  std::vector<std::uint64_t> seqs;
  std::vector<StateChange> states;  // views copied into the strings below
  std::vector<std::string> state_reasons;
  std::vector<std::int64_t> state_times;  // steady clock, ms
  std::vector<std::pair<Error, std::string>> completions;
  std::vector<std::string> commands;
};

class SdkProbe {
 public:
  // Installs recording callbacks on `client` (before start()); `on_message` runs inside the
  // message callback too (for calls made from a callback).
  explicit SdkProbe(Client& client, std::function<void(const Message&)> on_message = {},
                    std::function<void(const StateChange&)> on_state = {});

  // A completion that records into completions().
  Completion completion();
  // Waits until `done(record)` holds (checked on every callback) or `timeout_ms` passes.
  bool wait(const std::function<bool(const SdkRecord&)>& done, int timeout_ms);
  // A copy of what was recorded so far.
  SdkRecord snapshot();
  // How many times the client has reached `state` so far.
  std::size_t count_state(State state);
  // Waits for the `n`-th time the client reaches `state` (counting from the start).
  bool wait_state(State state, std::size_t n, int timeout_ms);

 private:
  void changed();

  std::mutex mutex_;
  std::condition_variable cv_;
  SdkRecord record_;
};

}  // namespace kite::it
