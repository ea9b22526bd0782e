// Close reasons by who chose them: a peer's codes never land in kited's own series, and every
// code outside the list shares one Unknown slot (so /metrics never holds duplicate series).
#include <doctest/doctest.h>

#include "core/reason_counters.h"

using kite::protocol::Reason;
using kite::server::ReasonCounters;

TEST_CASE("every unlisted code folds into the one Unknown slot") {
  CHECK(ReasonCounters::slot(Reason::AuthFailed) == static_cast<std::size_t>(Reason::AuthFailed));
  CHECK(ReasonCounters::slot(static_cast<Reason>(8)) == ReasonCounters::kUnknown);
  CHECK(ReasonCounters::slot(static_cast<Reason>(9)) == ReasonCounters::kUnknown);
  CHECK(ReasonCounters::slot(static_cast<Reason>(65535)) == ReasonCounters::kUnknown);
  CHECK(ReasonCounters::label(ReasonCounters::kUnknown, false) == "Unknown");
  CHECK(ReasonCounters::label(ReasonCounters::slot(Reason::Revoked), true) == "peer:Revoked");
}

TEST_CASE("a peer's reasons are counted apart from kited's") {
  ReasonCounters counters;
  counters.add(Reason::Revoked, /*by_peer=*/true);
  counters.add(static_cast<Reason>(8), true);
  counters.add(static_cast<Reason>(9), true);
  counters.add(Reason::AuthFailed, false);
  const auto revoked = ReasonCounters::slot(Reason::Revoked);
  CHECK(counters.value(revoked, false) == 0);
  CHECK(counters.value(revoked, true) == 1);
  CHECK(counters.value(ReasonCounters::kUnknown, true) == 2);
  CHECK(counters.value(ReasonCounters::kUnknown, false) == 0);
  CHECK(counters.value(ReasonCounters::slot(Reason::AuthFailed), false) == 1);
}
