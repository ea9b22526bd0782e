// The devices of one `kite bench storm` process: real SDK clients (kite::Client in loop mode,
// with its own back-off, jitter and session resume), all on the process's libuv loop, each one
// socket and no thread. They are started a few at a time (--connect-rate) so that the first
// connection of the fleet is not itself the storm being measured.
//
// Each device records what its app saw: every session it opened after mark_start() (the
// reconnect curve, and whether kited resumed it), every downlink number handed to it and how
// often (downlink payloads are 1, 2, 3... per device: storm_downlink.h), and its uplink
// confirmations. All on the loop's thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "bench/bench.h"
#include "bench/storm_tally.h"
#include "kite/client.h"

namespace kite::bench {

class StormDownlink;

class StormFleet {
 public:
  StormFleet(const BenchOptions& options, uv_loop_t* loop);
  ~StormFleet() { stop(); }
  StormFleet(const StormFleet&) = delete;
  StormFleet& operator=(const StormFleet&) = delete;

  // Starts up to `count` more clients. "" or why one would not start (a bad --tls file...).
  std::string start_more(std::size_t count);
  std::size_t started() const { return clients_.size(); }
  std::size_t size() const { return devices_.size(); }
  const std::vector<std::string>& ids() const { return ids_; }

  std::size_t connected() const { return connected_; }
  std::uint64_t opened() const { return opened_; }  // sessions opened in all, the first ones too
  std::size_t queued() const;                       // uplink not yet confirmed, every client's
  // From now on, sessions that open are the storm's: counted on the curve.
  void mark_start() { started_ = true; }

  // Device i publishes its next uplink message (QoS 1; queued by the SDK while offline).
  void publish(std::size_t i);
  // Messages `downlink` had accepted that have not reached their device's app (yet).
  std::uint64_t missing(const StormDownlink& downlink) const;
  // The devices' counts into `tally`; the downlink's counts come from `downlink` (stopped).
  void fill(StormTally& tally, const StormDownlink& downlink) const;
  // Stops every client (each says goodbye and closes its handles on the loop).
  void stop();

 private:
  struct Device {
    std::vector<std::uint8_t> seen;  // index n: how often downlink message n reached the app
    std::uint32_t reopened = 0;      // sessions opened after mark_start()
    std::int64_t last_open_ms = 0;   // epoch ms of the last of them
    std::uint32_t next_uplink = 1;   // the number its next uplink message carries
    bool connected = false;
  };

  ClientOptions client_options(std::size_t i) const;
  void on_state(std::size_t i, const StateChange& change);
  void on_message(std::size_t i, const Message& message);

  const BenchOptions& options_;
  uv_loop_t* loop_;
  std::vector<std::string> ids_;
  std::vector<std::string> keys_;  // hex
  std::vector<Device> devices_;
  std::vector<std::unique_ptr<Client>> clients_;
  std::size_t connected_ = 0;
  std::uint64_t opened_ = 0;
  bool started_ = false;
  // What the tally gets directly.
  StormTally counts_;
};

}  // namespace kite::bench
