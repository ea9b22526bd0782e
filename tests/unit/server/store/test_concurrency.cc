// Concurrent senders: per-device seqs stay unique and gap-free, single and batched paths mixed.
#include <algorithm>
#include <map>
#include <numeric>
#include <thread>

#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

TEST_CASE_TEMPLATE("concurrent enqueues give unique, gap-free seqs per device", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  const std::string devices[] = {"alpha", "beta", "gamma"};
  constexpr int kThreads = 4, kPerThread = 600;
  // Results are checked on this thread: each sender records (device index, seq) pairs.
  std::vector<std::vector<std::pair<int, EnqueueResult>>> answers(kThreads);
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; i += 10) {
        std::vector<std::pair<std::string_view, NewMessage>> batch;
        for (int j = i; j < i + 10; ++j) batch.emplace_back(devices[(t + j) % 3], text("m"));
        if (t % 2 == 0) {  // half the senders batch, half send one by one
          std::vector<EnqueueResult> results;
          store->enqueue_batch(batch, kNow, results);
          for (std::size_t j = 0; j < batch.size(); ++j) {
            answers[t].emplace_back((t + i + static_cast<int>(j)) % 3, std::move(results[j]));
          }
        } else {
          for (std::size_t j = 0; j < batch.size(); ++j) {
            answers[t].emplace_back((t + i + static_cast<int>(j)) % 3,
                                    store->enqueue(batch[j].first, batch[j].second, kNow));
          }
        }
      }
    });
  }
  for (auto& sender : senders) sender.join();

  std::map<int, Seqs> seqs;
  for (const auto& answers_of_thread : answers) {
    for (const auto& [device, result] : answers_of_thread) {
      REQUIRE(result.status == Status::Queued);
      seqs[device].push_back(result.seq);
    }
  }
  std::uint64_t total = 0;
  for (auto& [device, list] : seqs) {
    std::sort(list.begin(), list.end());
    Seqs expected(list.size());
    std::iota(expected.begin(), expected.end(), 1);
    CHECK(list == expected);
    CHECK(queued_seqs(*store, devices[device]) == expected);
    total += list.size();
  }
  CHECK(total == kThreads * kPerThread);
  CHECK(store->stats().messages == total);
}
