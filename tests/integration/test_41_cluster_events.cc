// The event log of a cluster (docs/cluster.md): every node shows the same events under the same
// ids, a reader moves between nodes without a gap or a duplicate, and one consumer group's
// members, reading through different nodes, share the events: each handled once.
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "event_group_client.h"
#include "redis_process.h"
#include "webhook_test_helpers.h"

namespace kite::it {
namespace {

std::vector<std::string> cluster_flags(const RedisProcess& redis) {
  auto flags = redis.kited_flags();
  for (auto& flag : group_ready()) flags.push_back(flag);
  return flags;
}

// Two nodes on one Redis, with quick consumer group timeouts.
struct EventNodes {
  RedisProcess redis;
  Harness node_a{cluster_flags(redis)};
  Harness node_b{cluster_flags(redis)};
};

// Every event, once the log has stopped growing (the last disconnects come after the traffic).
std::map<std::uint64_t, std::string> settled_events(HttpClient& http) {
  auto events = all_events(http);
  for (const Millis deadline = now_ms() + kWait; now_ms() < deadline;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a quiet spell to wait out
    auto again = all_events(http);
    if (again.size() == events.size()) break;
    events = std::move(again);
  }
  return events;
}

}  // namespace

TEST_CASE_FIXTURE(EventNodes, "41.1 cluster events: both nodes show one log; a reader moves") {
  make_traffic(node_b);  // 1,000 devices on node B
  const auto through_b = settled_events(node_b.http);
  REQUIRE(through_b.size() > 3000);
  // Node A mirrors what B's devices did, under the same ids, in the same order.
  std::map<std::uint64_t, std::string> through_a;
  const Millis deadline = now_ms() + kWait;
  while (through_a.size() < through_b.size() && now_ms() < deadline)
    through_a = all_events(node_a.http);
  CHECK(through_a == through_b);

  // A reader that read half through B goes on through A from the id B gave it: the rest, once.
  auto middle = std::next(through_b.begin(), static_cast<std::ptrdiff_t>(through_b.size() / 2));
  auto rest =
      node_a.http
          .request("GET", "/v1/events?wait=0s&limit=10000&after=" + std::to_string(middle->first))
          .json();
  CHECK(!rest.contains("gap"));
  REQUIRE(!rest["events"].empty());
  CHECK(std::stoull(rest["events"][0]["id"].get<std::string>()) == std::next(middle)->first);
  std::size_t expected = 0;
  for (auto it = std::next(middle); it != through_b.end() && expected < 10000; ++it) ++expected;
  CHECK(rest["events"].size() == expected);
}

TEST_CASE_FIXTURE(EventNodes,
                  "41.2 cluster events: one consumer group read through two nodes, each once") {
  make_traffic(node_a);
  const auto truth = settled_events(node_a.http);
  REQUIRE(truth.size() > 3000);
  Millis deadline = now_ms() + kWait;
  while (all_events(node_b.http).size() < truth.size() && now_ms() < deadline) {
  }
  // m1 reads through A, m2 through B; they join the same group.
  std::vector<Member> members(2);
  members[0].name = "m1";
  members[1].name = "m2";
  deadline = now_ms() + 4 * kWait;
  for (int round = 0; now_ms() < deadline; ++round) {
    poll(node_a.http, members[0]);
    poll(node_b.http, members[1]);
    if (round > 2 && group_lag_of(node_a.http, "workers") == 0) break;
  }
  CHECK(group_lag_of(node_a.http, "workers") == 0);
  CHECK(group_lag_of(node_b.http, "workers") == 0);  // one group, whichever node is asked
  CHECK(!members[0].got.empty());
  CHECK(!members[1].got.empty());
  check_handled_once(truth, members);
  auto groups = node_b.http.request("GET", "/v1/event-groups").json();
  INFO(groups.dump());
  REQUIRE(groups["groups"].size() == 1);
  CHECK(groups["groups"][0]["members"].size() == 2);
}

TEST_CASE("41.3 cluster events: one node sends a webhook, once; another takes over after kill -9") {
  test::TempDir dir;
  WebhookReceiver receiver(kSecret);
  receiver.set_mode(WebhookReceiver::Mode::Ok);
  const std::string config =
      write_config(dir, "http://127.0.0.1:" + std::to_string(receiver.port()) + "/hook");
  RedisProcess redis;
  auto flags = redis.kited_flags();
  flags.insert(flags.end(), {"--config", config});
  Harness node_a(flags);
  Harness node_b(flags);
  // Uplinks 1..10 of every device, half of the devices on each node.
  for (int d = 0; d < kDevices; ++d) {
    TestDevice device((d % 2 == 0 ? node_a : node_b).device_options(numbered("hook-dev", d)));
    device.connect_and_open(kWait, true);
    publish_acked(device, 1, 10);
  }
  REQUIRE(wait_for([&] { return unique_count(receiver) >= kDevices * 10; }, kLongWait));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // a second sender would show now
  CHECK(receiver.events().size() == kDevices * 10);             // once: only one node sends
  const double sent_by_a = metric(node_a, "kite_webhook_delivered_events_total{webhook=\"it\"}");
  const double sent_by_b = metric(node_b, "kite_webhook_delivered_events_total{webhook=\"it\"}");
  CHECK(sent_by_a + sent_by_b == kDevices * 10);
  CHECK((sent_by_a == 0 || sent_by_b == 0));

  Harness& sender = sent_by_a > 0 ? node_a : node_b;
  Harness& survivor = sent_by_a > 0 ? node_b : node_a;
  sender.kited.kill9();
  for (int d = 0; d < kDevices; ++d) {  // 11..20 through the survivor
    TestDevice device(survivor.device_options(numbered("hook-dev", d)));
    device.connect_and_open(kWait, true);
    publish_acked(device, 11, 20);
  }
  // The dead node's lease lapses (RedisLeases::kLeaseMs), and the survivor sends the rest.
  REQUIRE(wait_for([&] { return unique_count(receiver) >= kDevices * 20; }, kLongWait));
  check_all_in_order(receiver, 20);
  CHECK(metric(survivor, "kite_webhook_delivered_events_total{webhook=\"it\"}") > 0);
  CHECK(receiver.counts().bad_signatures == 0);
}

}  // namespace kite::it
