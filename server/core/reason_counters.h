// Counters of connections ended, by close reason, for GET /metrics.
//
// Rules it keeps:
//  - a reason the peer chose (its Error frame, or its end of the stream) is counted apart from
//    kited's own decisions, so a stranger cannot inflate a series an alert watches
//    (`reason="Revoked"`); the peer's series are labelled `peer:<Name>`;
//  - every code outside the schema's list (a newer peer's, or garbage) shares one `Unknown` slot,
//    so the exposition never holds two series with the same labels;
//  - single-writer counters, like the rest of WorkerMetrics: one worker adds, the scrape sums.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

#include "kite/protocol/reason.h"
#include "metrics/counter.h"

namespace kite::server {

class ReasonCounters {
 public:
  static constexpr std::size_t kKnown = static_cast<std::size_t>(protocol::Reason::MAX) + 1;
  static constexpr std::size_t kUnknown = kKnown;  // the slot every unlisted code shares
  static constexpr std::size_t kSlots = kKnown + 1;

  // The slot of `reason`: its value when the schema lists it, else kUnknown.
  static std::size_t slot(protocol::Reason reason);
  // The `reason` label of a slot: "AuthFailed", "Unknown"; "peer:AuthFailed" for the peer's.
  static std::string label(std::size_t slot, bool by_peer);

  void add(protocol::Reason reason, bool by_peer) {
    (by_peer ? peer_ : local_)[slot(reason)].add();
  }
  std::uint64_t value(std::size_t slot, bool by_peer) const {
    return (by_peer ? peer_ : local_)[slot].value();
  }

 private:
  std::array<metrics::LocalCounter, kSlots> local_;
  std::array<metrics::LocalCounter, kSlots> peer_;
};

}  // namespace kite::server
