// Many SDK clients on one loop; see sdk_fleet.h.
#include "sdk_fleet.h"

#include <stdexcept>

#include "sdk_probe.h"

namespace kite::it {

SdkFleet::SdkFleet(std::vector<std::string> ids, std::uint16_t port) : devices_(ids.size()) {
  if (uv_loop_init(&loop_) != 0 || uv_async_init(&loop_, &stop_, on_stop) != 0)
    throw std::runtime_error("cannot make the fleet's loop");
  stop_.data = this;
  // The clients are made and started on the loop's thread: a client on a loop of the caller's
  // is called from that loop's thread only.
  thread_ =
      std::thread([this, ids = std::move(ids), port]() mutable { run(std::move(ids), port); });
}

SdkFleet::~SdkFleet() {
  uv_async_send(&stop_);
  thread_.join();
  uv_loop_close(&loop_);
}

void SdkFleet::run(std::vector<std::string> ids, std::uint16_t port) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ClientOptions options = sdk_options(ids[i], port);
    options.connect_timeout_ms = 5'000;
    auto client = std::make_unique<Client>(std::move(options), &loop_);
    client->on_message([this, i](const Message& m) {
      std::lock_guard lock(mutex_);
      devices_[i].messages.emplace_back(m.payload);
      changed_.notify_all();
    });
    client->on_state([this, i](const StateChange& s) {
      std::lock_guard lock(mutex_);
      Device& device = devices_[i];
      device.state = s.state;
      device.reason = std::string(s.reason);
      if (s.state == State::Connected) {
        if (device.connects > 0 && !s.resumed) device.lost_history = true;
        ++device.connects;
        device.connected = true;
        device.connected_at = now_ms();
      } else {
        device.connected = false;
      }
      changed_.notify_all();
    });
    if (client->start() != Error::Ok) throw std::runtime_error(client->start_error());
    clients_.push_back(std::move(client));
  }
  uv_run(&loop_, UV_RUN_DEFAULT);
}

// On the loop's thread: the clients go (each closes its handles), then the async itself; the
// loop ends once every handle is closed.
void SdkFleet::on_stop(uv_async_t* handle) {
  auto* self = static_cast<SdkFleet*>(handle->data);
  self->clients_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(handle), nullptr);
}

bool SdkFleet::wait(const std::function<bool(const std::vector<Device>&)>& done, int timeout_ms) {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return done(devices_); });
}

std::vector<SdkFleet::Device> SdkFleet::snapshot() {
  std::lock_guard lock(mutex_);
  return devices_;
}

}  // namespace kite::it
