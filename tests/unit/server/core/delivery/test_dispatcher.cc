// The one delivery path, with a memory store, a map for a router and lanes that record.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "core/delivery/dispatcher.h"
#include "delivery_fakes.h"
#include "kite/protocol/limits.h"

namespace kite::server {
namespace {

using protocol::Qos;
using test::MapRouter;
using test::RecordingLanes;

NewMessage message(std::string_view payload, std::string_view conflation_key = {}) {
  return {payload, "topic", "text/plain", conflation_key, {}, 0};
}

struct Bench {
  explicit Bench(std::uint32_t workers = 2, StoreOptions options = {})
      : store(make_memory_store(options)), lanes(workers) {}
  Dispatcher dispatcher() { return Dispatcher(*store, router, lanes, protocol::SessionConfig{}); }

  std::unique_ptr<MessageStore> store;
  MapRouter router;
  RecordingLanes lanes;
  std::vector<Outcome> outcomes;
};

// Every message to every device, message-major: a bulk send's parcels.
std::vector<Parcel> each_to_each(std::size_t messages, std::size_t devices) {
  std::vector<Parcel> parcels;
  for (std::uint32_t m = 0; m < messages; ++m)
    for (std::uint32_t t = 0; t < devices; ++t) parcels.push_back({t, m});
  return parcels;
}

std::vector<StoredMessage> queued(MessageStore& store, std::string_view device) {
  std::vector<StoredMessage> out;
  store.read(device, 0, 100, 1 << 20, 0, out);
  return out;
}

TEST_CASE("a stored message for an online device is carried, not left to be read back") {
  Bench b;
  b.router.put("dev-1", 1, 42);
  Dispatcher d = b.dispatcher();
  const NewMessage m = message("hello");
  const std::string_view device = "dev-1";
  const Parcel p{0, 0};
  d.send({&m, 1}, {&device, 1}, {&p, 1}, Qos::AtLeastOnce, b.outcomes);

  REQUIRE(b.outcomes.size() == 1);
  CHECK(b.outcomes[0].stored.status == EnqueueResult::Status::Queued);
  CHECK(b.outcomes[0].online);
  CHECK(queued(*b.store, "dev-1").size() == 1);  // stored first: durable whatever happens next
  CHECK(b.lanes.carried[0].empty());
  REQUIRE(b.lanes.carried[1].size() == 1);  // one task, to the worker holding the connection
  const auto& carried = b.lanes.carried[1][0];
  REQUIRE(carried.size() == 1);
  CHECK(carried[0].connection == 42);
  CHECK(carried[0].seq == b.outcomes[0].stored.seq);
  CHECK(carried[0].payload == "hello");
  CHECK(carried[0].message_id == b.outcomes[0].stored.message_id);
  CHECK(carried[0].accepted_at_us > 0);  // so kite_delivery_latency measures single sends
}

TEST_CASE("an offline device's message is stored and nothing is posted") {
  Bench b;
  Dispatcher d = b.dispatcher();
  const NewMessage m = message("later");
  const std::string_view device = "asleep";
  const Parcel p{0, 0};
  d.send({&m, 1}, {&device, 1}, {&p, 1}, Qos::AtLeastOnce, b.outcomes);
  CHECK(b.outcomes[0].stored.status == EnqueueResult::Status::Queued);
  CHECK_FALSE(b.outcomes[0].online);
  CHECK(queued(*b.store, "asleep").size() == 1);
  CHECK(b.lanes.carry_tasks == 0);
}

TEST_CASE("many messages to many devices: one task per worker, each device's in order") {
  Bench b(3);
  b.router.put("a", 0, 1);
  b.router.put("b", 2, 2);
  b.router.put("c", 2, 3);
  Dispatcher d = b.dispatcher();
  const std::vector<NewMessage> messages = {message("m0"), message("m1"), message("m2")};
  const std::vector<std::string_view> devices = {"a", "b", "c", "offline"};
  const auto parcels = each_to_each(messages.size(), devices.size());
  d.send(messages, devices, parcels, Qos::AtLeastOnce, b.outcomes);

  CHECK(b.lanes.carry_tasks == 2);  // workers 0 and 2; worker 1 holds none of them
  CHECK(b.router.lookups == 3);     // a route is looked up once per device, not per parcel
  REQUIRE(b.lanes.carried[2].size() == 1);
  std::vector<std::string> to_c;
  for (const auto& c : b.lanes.carried[2][0])
    if (c.connection == 3) to_c.push_back(c.payload);
  CHECK(to_c == std::vector<std::string>{"m0", "m1", "m2"});
  CHECK(queued(*b.store, "offline").size() == 3);
  for (std::size_t k = 0; k < parcels.size(); ++k)
    CHECK(b.outcomes[k].online == (devices[parcels[k].device] != "offline"));
}

TEST_CASE("a message that replaced another of its device only wakes that device") {
  Bench b;
  b.router.put("dev", 0, 7);
  b.router.put("other", 0, 8);
  Dispatcher d = b.dispatcher();
  const std::vector<NewMessage> messages = {message("old", "k"), message("new", "k")};
  // As a service's read lists them: a device per parcel, "dev" under two indices.
  const std::vector<std::string_view> devices = {"dev", "other", "dev"};
  const std::vector<Parcel> parcels = {{0, 0}, {1, 0}, {2, 1}};
  d.send(messages, devices, parcels, Qos::AtLeastOnce, b.outcomes);

  CHECK(b.outcomes[2].stored.replaced);
  REQUIRE(b.lanes.carried[0].size() == 1);
  std::vector<std::uint64_t> dev_seqs;
  for (const auto& c : b.lanes.carried[0][0])
    if (c.connection == 7) dev_seqs.push_back(c.seq);
  // The carried "old" may be gone from the queue: the device reads the queue instead.
  CHECK(dev_seqs == std::vector<std::uint64_t>{0});
  CHECK(queued(*b.store, "dev").size() == 1);
}

TEST_CASE("past the carry allowance devices are woken once each and read the store") {
  Bench b;
  b.router.put("a", 0, 1);
  b.router.put("b", 1, 2);
  Dispatcher d = b.dispatcher();
  const std::string big(600, 'x');
  const std::vector<NewMessage> messages = {message(big), message(big)};
  const std::vector<std::string_view> devices = {"a", "b"};
  const auto parcels = each_to_each(2, 2);
  CarryAllowance allowance{2'000};  // 2,400 bytes would be carried
  d.send(messages, devices, parcels, Qos::AtLeastOnce, b.outcomes, allowance);

  CHECK(allowance.bytes_left == 2'000);  // nothing was carried, nothing taken
  for (std::uint32_t w = 0; w < 2; ++w) {
    REQUIRE(b.lanes.carried[w].size() == 1);
    REQUIRE(b.lanes.carried[w][0].size() == 1);
    CHECK(b.lanes.carried[w][0][0].seq == 0);
  }
  CarryAllowance roomy{10'000};
  d.send(messages, devices, parcels, Qos::AtLeastOnce, b.outcomes, roomy);
  CHECK(roomy.bytes_left == 10'000 - 2'400);
}

TEST_CASE("refusals of the store are per parcel and carry nothing") {
  StoreOptions options;
  options.per_device_messages = 1;
  options.full_policy = FullPolicy::Reject;
  Bench b(1, options);
  b.router.put("dev", 0, 1);
  Dispatcher d = b.dispatcher();
  const std::vector<NewMessage> messages = {message("fits"), message("full")};
  const std::string_view device = "dev";
  d.send(messages, {&device, 1}, each_to_each(2, 1), Qos::AtLeastOnce, b.outcomes);
  CHECK(b.outcomes[0].stored.status == EnqueueResult::Status::Queued);
  CHECK(b.outcomes[1].stored.status == EnqueueResult::Status::Full);
  REQUIRE(b.lanes.carried[0].size() == 1);
  CHECK(b.lanes.carried[0][0].size() == 1);
}

TEST_CASE("parcels beyond one store batch are written in batches, in order") {
  Bench b(1);
  Dispatcher d = b.dispatcher();
  const NewMessage m = message("x");
  std::vector<std::string> names;
  for (int i = 0; i < 2'500; ++i) names.push_back("dev-" + std::to_string(i));
  const std::vector<std::string_view> devices(names.begin(), names.end());
  const auto writes_before = b.store->stats().writes;
  d.send({&m, 1}, devices, each_to_each(1, devices.size()), Qos::AtLeastOnce, b.outcomes);
  CHECK(b.store->stats().writes - writes_before == 3);  // 1,000 + 1,000 + 500
  for (const Outcome& outcome : b.outcomes)
    CHECK(outcome.stored.status == EnqueueResult::Status::Queued);
}

TEST_CASE("QoS 0: each message encoded once, shared by every connection of a worker") {
  Bench b;
  b.router.put("a", 0, 1);
  b.router.put("b", 0, 2);
  b.router.put("c", 1, 3);
  Dispatcher d = b.dispatcher();
  const std::vector<NewMessage> messages = {message("p0"), message("p1")};
  const std::vector<std::string_view> devices = {"a", "b", "c", "gone"};
  const auto parcels = each_to_each(2, devices.size());
  d.send(messages, devices, parcels, Qos::AtMostOnce, b.outcomes);

  REQUIRE(b.lanes.shared[0].size() == 1);
  REQUIRE(b.lanes.shared[1].size() == 1);
  CHECK(b.lanes.shared[0][0].frames == b.lanes.shared[1][0].frames);  // one encoding
  CHECK(b.lanes.shared[0][0].frames->size() == 2);
  using Send = std::pair<std::uint64_t, std::uint32_t>;
  CHECK(b.lanes.shared[0][0].sends == std::vector<Send>{{1, 0}, {2, 0}, {1, 1}, {2, 1}});
  CHECK(b.lanes.shared[1][0].sends == std::vector<Send>{{3, 0}, {3, 1}});
  for (std::size_t k = 0; k < parcels.size(); ++k) {
    CHECK(b.outcomes[k].sent == (devices[parcels[k].device] != "gone"));
    CHECK(b.outcomes[k].online == (devices[parcels[k].device] != "gone"));
  }
  CHECK(b.store->stats().enqueued == 0);  // QoS 0 is never stored
}

TEST_CASE("QoS 0 a worker has no room for is dropped and counted") {
  Bench b;
  b.router.put("a", 0, 1);
  b.lanes.refuse_shares = true;
  Dispatcher d = b.dispatcher();
  const NewMessage m = message("p");
  const std::string_view device = "a";
  const Parcel p{0, 0};
  d.send({&m, 1}, {&device, 1}, {&p, 1}, Qos::AtMostOnce, b.outcomes);
  CHECK(b.outcomes[0].online);
  CHECK_FALSE(b.outcomes[0].sent);
  CHECK(d.refused_transient() == 1);
}

TEST_CASE("QoS 0 that cannot be encoded is invalid for every parcel and sends nothing") {
  Bench b;
  b.router.put("a", 0, 1);
  Dispatcher d = b.dispatcher();
  const std::string topic(protocol::limits::kTopic + 1, 't');
  const NewMessage m{"p", topic, {}, {}, {}, 0};
  const std::vector<std::string_view> devices = {"a", "b"};
  d.send({&m, 1}, devices, each_to_each(1, 2), Qos::AtMostOnce, b.outcomes);
  for (const Outcome& outcome : b.outcomes) {
    CHECK(outcome.stored.status == EnqueueResult::Status::Invalid);
    CHECK_FALSE(outcome.sent);
  }
  CHECK(b.lanes.shared[0].empty());
}

TEST_CASE("a route to a worker this process does not have is treated as offline") {
  Bench b(1);
  b.router.put("elsewhere", 5, 1);
  Dispatcher d = b.dispatcher();
  const NewMessage m = message("x");
  const std::string_view device = "elsewhere";
  const Parcel p{0, 0};
  d.send({&m, 1}, {&device, 1}, {&p, 1}, Qos::AtLeastOnce, b.outcomes);
  CHECK_FALSE(b.outcomes[0].online);
  CHECK(b.lanes.carry_tasks == 0);
  CHECK(queued(*b.store, "elsewhere").size() == 1);
}

}  // namespace
}  // namespace kite::server
