// `kite replay` at run time: every replayable connection of the capture becomes a device on one
// raw-client ClientLoop (raw_client/), all at once; a run ends when every device is done, and
// --loop runs it again with fresh sessions. Progress goes to stderr once a second; SIGINT ends the
// current run and reports what was done.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kite/client.h"
#include "replay/replay_device.h"
#include "replay/replay_keys.h"
#include "replay/replay_plan.h"
#include "replay/replay_report.h"

namespace kite::cli {

struct ReplaySettings {
  std::vector<DevicePlan> plans;  // only those with a device id and a key
  std::string host;               // of --target: the TLS server name by default
  sockaddr_storage target{};
  TlsOptions tls;
  ReplayPace pace;
  std::uint64_t loops = 1;  // 0: until SIGINT
  bool progress = true;
  // --dictionary: the replayed devices hold them, as the captured ones did (kited then
  // compresses with its dictionary when it is among them).
  std::shared_ptr<const protocol::DictionarySet> dictionaries;
};

// One report per plan, in the plans' order. `error` is set when the run could not start (TLS).
std::vector<DeviceReport> run_replay(const ReplaySettings& settings, const ReplayKeys& keys,
                                     std::string& error);

}  // namespace kite::cli
