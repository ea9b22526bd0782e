#include "core/connection_lifecycle.h"

namespace kite::server {

bool ConnectionLifecycle::advance(Stage from, Stage to) {
  if (stage_ != from) return false;
  stage_ = to;
  return true;
}

bool ConnectionLifecycle::close() {
  if (stage_ == Stage::Closing) return false;
  closed_from_ = stage_;
  stage_ = Stage::Closing;
  return true;
}

bool ConnectionLifecycle::holds_admission() const {
  return handshaking(stage_) || (stage_ == Stage::Closing && handshaking(closed_from_));
}

}  // namespace kite::server
