// Many SDK clients on one loop; see sdk_fleet.h.
#include "sdk_fleet.h"

#include <future>
#include <stdexcept>

#include "sdk_probe.h"

namespace kite::it {

SdkFleet::SdkFleet(std::vector<std::string> ids, std::uint16_t port)
    : SdkFleet(std::move(ids), Setup{.port = port}) {}

SdkFleet::SdkFleet(std::vector<std::string> ids, Setup setup) : devices_(ids.size()) {
  if (uv_loop_init(&loop_) != 0 || uv_async_init(&loop_, &stop_, on_stop) != 0)
    throw std::runtime_error("cannot make the fleet's loop");
  stop_.data = this;
  inbox_.emplace(&loop_);
  // The clients are made and started on the loop's thread: a client on a loop of the caller's
  // is called from that loop's thread only.
  std::promise<void> started;
  auto start_result = started.get_future();
  thread_ = std::thread([this, ids = std::move(ids), setup = std::move(setup),
                         started = std::move(started)]() mutable {
    try {
      if (setup.on_thread) setup.on_thread();
      start_clients(std::move(ids), setup);
      started.set_value();
    } catch (...) {
      started.set_exception(std::current_exception());
      on_stop(&stop_);  // closes what was started; the loop below then ends
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
  });
  try {
    start_result.get();
  } catch (...) {
    thread_.join();
    uv_loop_close(&loop_);
    throw;
  }
}

SdkFleet::~SdkFleet() {
  uv_async_send(&stop_);
  thread_.join();
  uv_loop_close(&loop_);
}

void SdkFleet::start_clients(std::vector<std::string> ids, const Setup& setup) {
  for (std::size_t i = 0; i < ids.size(); ++i) {
    ClientOptions options = sdk_options(ids[i], setup.port);
    options.host = setup.host;
    options.connect_timeout_ms = 5'000;
    if (setup.adjust) setup.adjust(options);
    start_client(i, std::move(options));
  }
}

void SdkFleet::start_client(std::size_t i, ClientOptions options) {
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
      if (s.state == State::Disconnected) device.disconnect_reason = std::string(s.reason);
      if (device.connected) device.left_connected_at = now_ms();
      device.connected = false;
    }
    changed_.notify_all();
  });
  if (client->start() != Error::Ok) throw std::runtime_error(client->start_error());
  clients_.push_back(std::move(client));
}

void SdkFleet::publish(std::size_t index, std::string payload) {
  auto task = [this, index, payload = std::move(payload)] {
    auto done = [this, index, payload](Error e, std::string_view) {
      std::lock_guard lock(mutex_);
      if (e == Error::Ok)
        devices_[index].confirmed.push_back(payload);
      else
        ++devices_[index].uplink_failures;
      changed_.notify_all();
    };
    const Error refused = clients_.at(index)->publish({.payload = payload, .topic = "fleet"}, done);
    if (refused != Error::Ok) done(refused, {});
  };
  inbox_->post(std::move(task));  // dropped once the fleet is stopping
}

// On the loop's thread: the clients go (each closes its handles), then the async itself; the
// loop ends once every handle is closed.
void SdkFleet::on_stop(uv_async_t* handle) {
  auto* self = static_cast<SdkFleet*>(handle->data);
  self->clients_.clear();
  self->inbox_->close();
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
