// Which node of a cluster sends a webhook's events: the holder of its lease
// (cluster/redis_leases.h), one node at a time, the others standing by to take over when it goes.
#pragma once

#include <cstdint>
#include <string>

namespace kite::server::webhooks {

class SendLease {
 public:
  virtual ~SendLease() = default;
  // Whether this node may send the events of `webhook` now: takes its lease when free, renews it
  // when held, for `lease_ms` from now (longer than anything the holder waits on between two
  // calls: a request's timeout). Called from the webhook's thread before each read and attempt,
  // and through back-offs.
  virtual bool hold(const std::string& webhook, std::int64_t lease_ms) = 0;
};

}  // namespace kite::server::webhooks
