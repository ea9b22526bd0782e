// What the sessions of one thread share: the configuration, the frame encoder (its builder and
// compressor) and the body decoder (its inflate buffer). A session uses them only inside its own
// method calls, so one context serves every session of a loop, and a connection pays only for
// its own state. Not thread-safe: one context per thread.
#pragma once

#include <memory>

#include "kite/protocol/frame_codec.h"
#include "kite/protocol/session_types.h"

namespace kite::protocol {

class SessionContext {
 public:
  explicit SessionContext(SessionConfig config);
  SessionContext(const SessionContext&) = delete;
  SessionContext& operator=(const SessionContext&) = delete;

  const SessionConfig& config() const { return config_; }
  FrameEncoder& encoder() { return encoder_; }
  BodyDecoder& bodies() { return bodies_; }

 private:
  SessionConfig config_;
  FrameEncoder encoder_;
  BodyDecoder bodies_;
};

}  // namespace kite::protocol
