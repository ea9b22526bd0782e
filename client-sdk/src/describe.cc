// The words for each public enum: errors say what to do, states are named as in the header.
#include "kite/client.h"

namespace kite {

std::string_view describe(Error error) {
  switch (error) {
    case Error::Ok:
      return "ok";
    case Error::QueueFull:
      return "queue full: the uplink queue holds max_queued messages (or max_queued_bytes); "
             "wait for completions or raise the bound";
    case Error::TooLarge:
      return "too large: the message is above the server's frame limit; split it";
    case Error::Invalid:
      return "invalid: a field is empty, above its limit or unusable (start() failing: "
             "start_error() names it)";
    case Error::NotStarted:
      return "not started: call start() first";
    case Error::Stopped:
      return "stopped: the client was stopped, or the server ended it for good";
    case Error::Refused:
      return "refused by the server (the detail says why)";
    case Error::Expired:
      return "expired: its ttl passed while it waited in the offline queue";
    case Error::NotSaved:
      return "not saved: the session file could not be written (is the disk full?); the "
             "message was not queued";
  }
  return "unknown error";
}

std::string_view describe(State state) {
  switch (state) {
    case State::Connecting:
      return "connecting";
    case State::Connected:
      return "connected";
    case State::Disconnected:
      return "disconnected";
    case State::Replaced:
      return "replaced";
    case State::Revoked:
      return "revoked";
    case State::Stopped:
      return "stopped";
  }
  return "unknown";
}

}  // namespace kite
