// `kite bench`: load scenarios against a running kited. Each prints progress once a second and a
// final report (text, or one JSON object with --json); the server's CPU time and memory are read
// from /proc when --server-pid is given, so figures can be quoted per server core.
#pragma once

#include <cstdint>
#include <string>

#include "kite/client.h"

namespace kite::bench {

struct BenchOptions {
  std::string host = "127.0.0.1";
  int port = 7000;
  std::string master_key;         // hex: device keys are derived from it
  std::string service = "bench";  // service name (p2p)
  std::string service_key;        // hex key of that service
  std::uint32_t devices = 1000;
  double seconds = 10;
  double warmup = 1;                // p2p: seconds before measuring
  std::uint32_t window = 256;       // p2p: messages in flight, end to end
  double rate = 0;                  // p2p: messages/s; 0 = as fast as the window allows
  std::uint32_t payload = 64;       // bytes
  std::uint32_t concurrency = 100;  // conn/idle: handshakes in progress at once
  std::string source_prefix;        // e.g. "127.0.1.": client sockets spread over .1 .. .250
  std::uint32_t id_base = 0;        // device ids are bench-<id_base + i>
  int server_pid = 0;
  bool json = false;
  // --tls, --ca, --server-name, --tls-min: every connection (devices and the p2p service) goes
  // to kited's TLS port; no client certificates (the devices log in with derived keys).
  TlsOptions tls;
  // fanout
  std::string api = "http://127.0.0.1:7080";  // kited's admin API
  std::string admin_token;
  std::string group = "bench-fanout";
  std::uint32_t burst = 1;  // messages per request (> 1: the batch form)
  int qos = 0;
  std::uint64_t messages = 0;      // stop after this many messages; 0 = after --seconds
  bool join = true;                // PUT every device into the group first
  bool per_device_answer = false;  // "report": "results" instead of "summary"
};

int run_p2p(const BenchOptions& options);
int run_conn(const BenchOptions& options);
int run_idle(const BenchOptions& options);
int run_fanout(const BenchOptions& options);

}  // namespace kite::bench
