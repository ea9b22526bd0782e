// The door of one listening port (the device port or the admin port): which peers may connect
// (address_policy.h) and how many connections one source may hold open at once.
//
// Rules:
//  - Asked once per accepted connection, before any byte of it is read. A connection that
//    enter() counted must be given back with leave() when it closes, whatever happened to it.
//  - "One source" is an IPv4 address or an IPv6 /64: one site gets at least a /64, so counting
//    single IPv6 addresses would let one host use a new address per connection and no cap would
//    hold.
//  - configure() (start and SIGHUP) applies to the next connection; open ones stay open. The
//    cap 0 means no cap and no counting at all.
//  - Thread-safe: every worker loop of the device port shares one gate. Counts live in 16 maps,
//    each behind its own mutex, taken once per accept and once per close, never per byte. They
//    hold one entry (about 64 bytes) per source with an open connection, only while a cap is set.
//  - Refusals are counted per reason (for /metrics) and logged with the peer's address, at most
//    about one line a second after a burst of 20, so a flood of refused connections cannot flood
//    the log.
//  - Behind a proxy that speaks the PROXY protocol (proxy_policy.h), a connection from a listed
//    proxy is asked about with the client's address from its header, once the header is read
//    (proxy_expectation() says which connections those are); a connection refused for its header
//    (missing, malformed, late, or forged by an unlisted peer) is counted and logged by refuse().
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/address_policy.h"
#include "common/log_limiter.h"
#include "common/proxy_policy.h"

namespace kite::server {

enum class Refusal : std::uint8_t {
  none,
  deny_list,
  not_allowed,
  per_ip_cap,
  proxy_header,            // a listed proxy sent no valid header in time
  untrusted_proxy_header,  // a peer that is not a listed proxy sent a header
};
inline constexpr std::size_t kRefusalKinds = 6;
// "deny_list", "not_allowed", "per_ip_cap", "proxy_header", "untrusted_proxy_header" (metric
// labels and log fields); "none".
std::string_view refusal_name(Refusal refusal);

class PeerGate {
 public:
  struct Policy {
    AddressPolicy addresses;
    std::uint32_t max_per_ip = 0;  // open connections per source; 0 = no cap
    ProxyPolicy proxy;             // which peers are proxies sending PROXY headers
  };
  struct Admission {
    Refusal refusal = Refusal::none;
    bool counted = false;  // leave() is owed when the connection ends
  };

  explicit PeerGate(std::string port);  // "device" or "admin", for the logs

  void configure(Policy policy);
  Admission enter(const IpAddress& ip);
  void leave(const IpAddress& ip);
  // What a connection from `socket_ip` must begin with; on Expect::header, the versions taken.
  struct ProxyExpectation {
    ProxyPolicy::Expect expect = ProxyPolicy::Expect::nothing;
    ProxyVersions versions = ProxyVersions::off;
  };
  ProxyExpectation proxy_expectation(const IpAddress& socket_ip) const;
  // A refusal decided outside enter() (the PROXY header's): counted and logged as enter()'s are,
  // with `detail` (a constant string) in the log line.
  void refuse(const IpAddress& ip, Refusal refusal, std::string_view detail);

  std::uint64_t refused(Refusal reason) const;
  std::uint32_t connections_from(const IpAddress& ip) const;  // as counted (tests)

 private:
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<IpAddress, std::uint32_t, IpAddressHash> open;
  };

  std::shared_ptr<const Policy> policy() const;
  Shard& shard_of(const IpAddress& source);
  void log_refusal(const IpAddress& ip, Refusal refusal, std::string_view detail = {});

  const std::string port_;
  mutable std::mutex policy_mutex_;
  std::shared_ptr<const Policy> policy_;
  std::array<Shard, 16> shards_;
  std::array<std::atomic<std::uint64_t>, kRefusalKinds> refused_{};
  log::Limiter log_limiter_{20, 1000};
};

}  // namespace kite::server
