// Many devices, each a real kite::Client (the SDK, with its resume and once-only delivery to the
// app), all on one libuv loop on a thread of their own: a thousand devices cost one thread and a
// socket each, not a thread each. What each device's app saw is recorded under a lock, and the
// test waits for conditions with a deadline.
//
// The destructor stops every client and joins the thread, even when the test failed.
#pragma once

#include <uv.h>

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/loop_inbox.h"  // server/api: a queue of tasks for a libuv loop
#include "kite/client.h"
#include "test_device.h"

namespace kite::it {

class SdkFleet {
 public:
  struct Device {
    std::vector<std::string> messages;  // payloads handed to the app, in order
    int connects = 0;                   // sessions opened so far
    bool connected = false;
    bool lost_history = false;  // a reconnect that did not resume (the server lost its queue)
    Millis connected_at = 0;    // the last session's opening
    State state = State::Stopped;
    std::string reason;  // the last state change's reason ("Replaced", "ConnectFailed"...)
    std::string disconnect_reason;       // the last Disconnected's reason ("KeepaliveTimeout"...)
    Millis left_connected_at = 0;        // when the last session ended (0: never)
    std::vector<std::string> confirmed;  // uplink payloads the server confirmed, in order
    int uplink_failures = 0;             // publish() completions with an error
  };

  // Where the devices dial and what else they need.
  struct Setup {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    std::function<void()> on_thread{};             // first, on the fleet's thread (NetLab::enter)
    std::function<void(ClientOptions&)> adjust{};  // each device's options, before its start
  };

  // Starts a client for each id, dialling 127.0.0.1:`port`. Throws what the fleet's thread
  // threw while starting them (Setup::on_thread, a client that would not start).
  SdkFleet(std::vector<std::string> ids, std::uint16_t port);
  SdkFleet(std::vector<std::string> ids, Setup setup);
  ~SdkFleet();
  SdkFleet(const SdkFleet&) = delete;
  SdkFleet& operator=(const SdkFleet&) = delete;

  // Waits until `done(devices)` holds (checked after every callback) or `timeout_ms` passes.
  bool wait(const std::function<bool(const std::vector<Device>&)>& done, int timeout_ms);
  std::vector<Device> snapshot();
  // Publishes `payload` (QoS 1) from device `index`, on the fleet's thread; its confirmation
  // lands in Device::confirmed. Dropped once the fleet is stopping.
  void publish(std::size_t index, std::string payload);

 private:
  void start_clients(std::vector<std::string> ids, const Setup& setup);
  void start_client(std::size_t index, ClientOptions options);
  static void on_stop(uv_async_t* handle);

  uv_loop_t loop_{};
  uv_async_t stop_{};
  std::optional<server::LoopInbox> inbox_;  // publish() to the loop's thread; made with the loop
  std::vector<std::unique_ptr<Client>> clients_;  // loop thread only
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Device> devices_;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace kite::it
