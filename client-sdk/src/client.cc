// kite::Client: the public face; everything happens in Client::Impl (client_impl.h).
#include "kite/client.h"

#include "client_impl.h"

namespace kite {

Client::Client(ClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(options), nullptr)) {}

Client::Client(ClientOptions options, uv_loop_s* loop)
    : impl_(std::make_shared<Impl>(std::move(options), loop)) {}

Client::~Client() {
  impl_->detach();
}

void Client::on_message(std::function<void(const Message&)> handler) {
  impl_->set_message_handler(std::move(handler));
}

void Client::on_command(std::function<Reply(const Command&)> handler) {
  impl_->set_command_handler(std::move(handler));
}

void Client::on_state(std::function<void(const StateChange&)> handler) {
  impl_->set_state_handler(std::move(handler));
}

Error Client::start() {
  return impl_->start();
}

std::string Client::start_error() const {
  return impl_->start_error();
}

void Client::stop() {
  impl_->stop();
}

Error Client::publish(const Publish& message, Completion done) {
  return impl_->publish(message, std::move(done));
}

Error Client::join(std::string_view group, Completion done) {
  return impl_->subscribe(true, group, std::move(done));
}

Error Client::leave(std::string_view group, Completion done) {
  return impl_->subscribe(false, group, std::move(done));
}

State Client::state() const {
  return impl_->state();
}

std::size_t Client::queued() const {
  return impl_->queued();
}

}  // namespace kite
