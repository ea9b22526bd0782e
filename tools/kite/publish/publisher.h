// `kite publish` at run time: one kite::Client (the device SDK, on a thread of its own) that
// publishes each message, while this thread reads them (the argument, or stdin one per line).
// The SDK queues at most ClientOptions::max_queued messages: when that queue is full, reading
// waits until kited's acks make room, so input of any size flows at the pace kited takes it
// (its per-device uplink rate limit included). At the end it waits until every QoS 1 message is
// acknowledged (QoS 0: written). One line per acknowledged message goes to stdout, state changes
// and problems to stderr. Returns an ExitCode.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "kite/client.h"

namespace kite::cli {

struct PublishSettings {
  ClientOptions client;                // credentials resolved: a key (hex), a token or a cert
  std::optional<std::string> payload;  // one message; none: each line of stdin is one
  bool hex = false;                    // payloads are hex text, sent as the bytes they spell
  bool at_least_once = true;           // --qos 1
  std::string topic, content_type;
  std::uint64_t timeout_ms = 0;  // -W: give up after this long; 0: never
  bool quiet = false;            // no line per acknowledged message
};

int run_publisher(const PublishSettings& settings);

}  // namespace kite::cli
