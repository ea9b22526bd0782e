// kite::LowLevelClient: the core (client_core.h) with the app as its driver. The outermost call
// settles the core on the way out, so its callbacks run on the app's thread, inside the app's
// calls; a call made from inside a callback only changes state (the Session that called the
// callback must not be torn down under it), and the call around it settles.
#include "kite/low_level_client.h"

#include "client_core.h"

namespace kite {

LowLevelClient::LowLevelClient(ClientOptions options)
    : core_(std::make_unique<sdk::ClientCore>(std::move(options))) {}

LowLevelClient::~LowLevelClient() {
  core_->detach_handlers();
}

// Holds the depth for one call; the outermost settles at `now_ms` (0: the latest time given).
class LowLevelClient::Call {
 public:
  Call(LowLevelClient& client, std::int64_t now_ms) : client_(client), now_ms_(now_ms) {
    ++client_.depth_;
  }
  ~Call() {
    if (--client_.depth_ == 0) client_.core_->settle(now_ms_);
  }
  Call(const Call&) = delete;
  Call& operator=(const Call&) = delete;

 private:
  LowLevelClient& client_;
  std::int64_t now_ms_;
};

void LowLevelClient::on_message(std::function<void(const Message&)> handler) {
  core_->set_message_handler(std::move(handler));
}

void LowLevelClient::on_command(std::function<Reply(const Command&)> handler) {
  core_->set_command_handler(std::move(handler));
}

void LowLevelClient::on_state(std::function<void(const StateChange&)> handler) {
  core_->set_state_handler(std::move(handler));
}

Error LowLevelClient::start(std::int64_t now_ms) {
  Call call(*this, now_ms);
  return core_->start(now_ms);
}

std::string LowLevelClient::start_error() const {
  return core_->start_error();
}

void LowLevelClient::stop() {
  Call call(*this, 0);  // the latest time given stands: the core's clock never goes back
  core_->stop();
}

Error LowLevelClient::publish(const Publish& message, Completion done) {
  Call call(*this, 0);
  return core_->publish(message, std::move(done));
}

Error LowLevelClient::join(std::string_view group, Completion done) {
  Call call(*this, 0);
  return core_->subscribe(true, group, std::move(done));
}

Error LowLevelClient::leave(std::string_view group, Completion done) {
  Call call(*this, 0);
  return core_->subscribe(false, group, std::move(done));
}

State LowLevelClient::state() const {
  return core_->state();
}

std::size_t LowLevelClient::queued() const {
  return core_->queued();
}

std::optional<LowLevelClient::Dial> LowLevelClient::dial() {
  auto target = core_->take_dial();
  if (!target) return std::nullopt;
  return Dial{std::move(target->host), target->port};
}

void LowLevelClient::connected(std::int64_t now_ms) {
  Call call(*this, now_ms);
  core_->connected(now_ms);
}

void LowLevelClient::connect_failed(std::string_view why, std::int64_t now_ms) {
  Call call(*this, now_ms);
  core_->connect_failed("ConnectFailed", std::string(why), now_ms);
}

void LowLevelClient::received(std::span<std::uint8_t> bytes, std::int64_t now_ms) {
  Call call(*this, now_ms);
  core_->received(bytes, now_ms);
}

void LowLevelClient::peer_closed(std::int64_t now_ms) {
  Call call(*this, now_ms);
  core_->peer_closed(now_ms);
}

void LowLevelClient::socket_error(std::string_view what, std::int64_t now_ms) {
  Call call(*this, now_ms);
  core_->transport_failed(std::string(what), now_ms);
}

void LowLevelClient::take_output(std::vector<std::uint8_t>& out) {
  core_->take_output(out);
}

void LowLevelClient::set_unwritten(std::size_t bytes) {
  Call call(*this, 0);  // room again: the queue may go on
  core_->set_unwritten(bytes);
}

bool LowLevelClient::close_wanted(bool* graceful) {
  bool soft = false;
  const bool wanted = core_->take_close(soft);
  if (graceful) *graceful = soft;
  return wanted;
}

std::int64_t LowLevelClient::next_tick() const {
  return core_->next_deadline();
}

void LowLevelClient::tick(std::int64_t now_ms) {
  Call call(*this, now_ms);
  core_->tick(now_ms);
}

bool LowLevelClient::finished() const {
  return core_->finished();
}

}  // namespace kite
