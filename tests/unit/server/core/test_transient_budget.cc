// A worker's inbox budget for QoS 0 messages posted by other workers: a sender that outruns the
// worker is refused (its messages dropped) once the budget is spent, and room comes back as the
// worker runs the tasks.
#include <doctest/doctest.h>

#include "core/transient_budget.h"

using kite::server::TransientBudget;

TEST_CASE("a flood of QoS 0 posts stops at the budget; running the tasks gives the room back") {
  constexpr std::size_t kMessage = 1000;
  constexpr std::size_t kCost = kMessage + TransientBudget::kTaskOverhead;
  TransientBudget budget(100 * kCost);
  std::size_t taken = 0, dropped = 0;
  for (int i = 0; i < 100'000; ++i) (budget.try_take(kMessage) ? taken : dropped) += 1;
  CHECK(taken == 100);
  CHECK(dropped == 99'900);
  CHECK(budget.in_use() == 100 * kCost);  // a refusal takes nothing

  budget.give_back(kMessage);  // the worker ran one task
  CHECK(budget.try_take(kMessage));
  CHECK_FALSE(budget.try_take(kMessage));
  for (std::size_t i = 0; i < 100; ++i) budget.give_back(kMessage);
  CHECK(budget.in_use() == 0);
}

TEST_CASE("one message larger than the whole budget is refused, not wrapped around") {
  TransientBudget budget(4096);
  CHECK_FALSE(budget.try_take(1 << 20));
  CHECK(budget.in_use() == 0);
  CHECK(budget.try_take(100));
}
