// `kite listen` at run time: a kite::Client on a libuv loop of kite's own, with the loop's
// signal watchers (SIGINT, SIGTERM) and a timer (-W) beside it. Messages go to stdout, one line
// each, flushed at once; state changes go to stderr. Returns an ExitCode.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kite/client.h"
#include "listen/message_format.h"

namespace kite::cli {

struct ListenSettings {
  ClientOptions client;  // credentials resolved: a key (hex) or a token
  MessageFormat format = MessageFormat::Text;
  std::uint64_t count = 0;       // -C: stop after this many messages; 0: never
  std::uint64_t timeout_ms = 0;  // -W: give up after this long; 0: never
  std::vector<std::string> groups;
  std::string on_command;  // --on-command SCRIPT; empty: commands are answered 501
};

int run_listener(const ListenSettings& settings);

}  // namespace kite::cli
