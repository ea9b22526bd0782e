// One captured connection played as a live device on a raw-client ClientLoop: once its session is
// open it re-issues the captured uplink messages when their offset (divided by the speed) has
// passed, then waits for kited's acks and for the downlink the capture saw (or --linger), and
// says goodbye.
//
// Mapping of what cannot be copied as it was:
//  - Publish: re-published with the same payload, topic, content type, conflation key, message
//    id, QoS and TTL; the new session numbers it itself;
//  - Ack: not replayed; the session acks every downlink publish it actually receives (the seqs
//    of the new connection differ from the captured ones);
//  - Ping, Credit: not replayed; the session keeps itself alive and grants credit itself;
//  - Subscribe, Unsubscribe: re-issued with the captured request id and groups;
//  - Reply: not replayed (kited's commands get new ids; the captured replies would answer none).
#pragma once

#include <cstdint>
#include <map>

#include "raw_client/client_loop.h"
#include "replay/replay_plan.h"
#include "replay/replay_report.h"

namespace kite::cli {

struct ReplayPace {
  double speed = 1;  // captured offsets are divided by it
  bool top_speed = false;
  std::uint64_t linger_ms = 1000;  // after the last ack, wait this long for missing downlink
};

class DeviceReplay {
 public:
  DeviceReplay(const DevicePlan& plan, const ReplayPace& pace, DeviceReport& report)
      : plan_(plan), pace_(pace), report_(report) {}

  void start(bench::ClientLoop& loop, bench::BenchClient& client);
  // Sends what is due and ends the session once everything is done; `now_ns` on uv_hrtime().
  void pump(std::uint64_t now_ns);
  void stop();  // SIGINT: end now

  // Events of its client.
  void opened(std::uint64_t now_ns);
  void received() { ++report_.received, ++received_; }
  void acked(std::uint64_t seq, std::uint64_t now_ns);
  void error(protocol::Reason reason);
  void closed(const protocol::CloseInfo& info);

  bool finished() const { return finished_; }
  bool is_open() const { return open_; }

 private:
  // false when it must wait for credit.
  bool send(const ReplayStep& step, std::uint64_t now_ns);
  bool everything_answered(std::uint64_t now_ns) const;

  const DevicePlan& plan_;
  const ReplayPace& pace_;
  DeviceReport& report_;
  bench::ClientLoop* loop_ = nullptr;
  bench::BenchClient* client_ = nullptr;
  bool open_ = false, finished_ = false, closing_ = false;
  std::uint64_t opened_ns_ = 0, last_ack_ns_ = 0;
  std::size_t next_ = 0;
  std::uint64_t received_ = 0;                      // this session's downlink publishes
  std::map<std::uint64_t, std::uint64_t> unacked_;  // seq -> when it was sent (ns)
};

}  // namespace kite::cli
