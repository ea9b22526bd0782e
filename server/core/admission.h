// Who may try to authenticate: a cap on connections from one source that have not authenticated
// yet, and a growing back-off for a device id after failed attempts from one source.
//
// Rules it keeps:
//  - "One source" is what the device port's gate counts (common/peer_gate.h): an IPv4 address
//    or an IPv6 /64, kept binary and hashed with a key of this process, so a host cannot escape
//    a cap by taking a new IPv6 address, nor pick addresses that collide in the maps.
//  - The back-off is per (source, device id), never per source alone: thousands of devices may
//    share one NAT address, and a stranger failing behind it must not lock the others out. A
//    failure is counted for any refused credential (wrong HMAC proof, bad or expired token,
//    revoked id); a success for that pair forgets it.
//  - Every entry expires: a source's count goes when its last unauthenticated connection does;
//    a back-off entry goes `kForgetAfterMax` times the longest back-off after its last failure.
//    Each of the 16 shards holds at most limits.max_tracked / 16 back-off entries; when one is
//    full, expired entries are swept and, if none has expired, the one nearest its end is
//    dropped: memory stays bounded whatever a stranger sends.
//  - Thread-safe: every worker asks it at accept, at hello and at close; a shard's mutex is
//    held for one hash-map operation, never across I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/ip_address.h"

namespace kite::server {

using Millis = std::int64_t;

struct AdmissionLimits {
  std::uint32_t max_unauthenticated_per_ip = 64;  // per source (IPv4 address, IPv6 /64)
  Millis backoff_base_ms = 1000;    // after a failed attempt, that device id waits this long...
  Millis backoff_max_ms = 60000;    // ...doubling per further failure, up to this
  std::size_t max_tracked = 65536;  // back-off entries, all shards together
};

class Admission {
 public:
  explicit Admission(AdmissionLimits limits = {});

  // New limits (SIGHUP): they apply to the next connection and failure.
  void set_limits(const AdmissionLimits& limits);

  // A new connection from `ip` before it authenticates: false (close it) over the cap. A true
  // answer must be ended with release() when the connection authenticates or closes.
  bool admit(const IpAddress& ip);
  void release(const IpAddress& ip);

  // Whether `device` must wait before trying again from `ip`.
  bool backing_off(const IpAddress& ip, std::string_view device, Millis now);
  void record_failure(const IpAddress& ip, std::string_view device, Millis now);
  void record_success(const IpAddress& ip, std::string_view device);

  // What the maps hold (tests, metrics).
  std::size_t tracked_sources() const;
  std::size_t tracked_failures() const;

  static constexpr Millis kForgetAfterMax = 2;

 private:
  struct FailureKey {
    IpAddress source;
    std::string device;
    bool operator==(const FailureKey&) const = default;
  };
  struct FailureKeyHash {
    std::size_t operator()(const FailureKey& key) const noexcept;
  };
  struct Failures {
    std::uint32_t count = 0;
    Millis blocked_until = 0;
    Millis forget_at = 0;
  };
  struct Shard {
    mutable std::mutex mutex;
    std::unordered_map<IpAddress, std::uint32_t, IpAddressHash> unauthenticated;
    std::unordered_map<FailureKey, Failures, FailureKeyHash> failures;
  };

  AdmissionLimits limits() const;
  Shard& shard_of(const IpAddress& source);
  void make_room(Shard& shard, std::size_t cap, Millis now);

  mutable std::mutex limits_mutex_;
  AdmissionLimits limits_;
  std::array<Shard, 16> shards_;
};

}  // namespace kite::server
