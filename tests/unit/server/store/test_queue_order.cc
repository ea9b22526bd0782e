// Enqueue, read and ack: seqs per device, seq order, read limits, cumulative acks, batches.
#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

TEST_CASE_TEMPLATE("messages are read in seq order and acks delete a prefix", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  const std::string payloads[] = {"m1", "m2", "m3", "m4", "m5"};
  for (std::uint64_t i = 0; i < 5; ++i) {
    NewMessage message = text(payloads[i]);
    message.topic = "cfg";
    message.content_type = "text/plain";
    auto result = store->enqueue("dev", message, kNow + i);
    REQUIRE(result.status == Status::Queued);
    CHECK(result.seq == i + 1);
    CHECK(result.message_id.size() == 26);
  }
  auto all = read_all(*store, "dev");
  REQUIRE(seqs_of(all) == Seqs{1, 2, 3, 4, 5});
  CHECK(all[1].payload == "m2");
  CHECK(all[1].topic == "cfg");
  CHECK(all[1].content_type == "text/plain");
  CHECK(all[1].enqueued_at_ms == kNow + 1);
  CHECK(all[1].expires_at_ms == 0);
  CHECK(all[0].message_id != all[1].message_id);

  std::vector<StoredMessage> page;
  store->read("dev", 2, 2, 1 << 20, kNow, page);
  CHECK(seqs_of(page) == Seqs{3, 4});

  store->ack("dev", 3);
  CHECK(queued_seqs(*store, "dev") == Seqs{4, 5});
  auto info = store->info("dev");
  CHECK(info.queued_messages == 2);
  CHECK(info.queued_bytes == 4 + 2 * (3 + 10));
  CHECK(info.acked_through == 3);
  CHECK(info.next_seq == 6);

  store->ack("dev", 99);  // seqs not yet assigned cannot be acked
  CHECK(store->info("dev").acked_through == 5);
  CHECK(store->enqueue("dev", text("m6"), kNow).seq == 6);
  CHECK(store->enqueue("other", text("x"), kNow).seq == 1);

  auto stats = store->stats();
  CHECK(stats.enqueued == 7);
  CHECK(stats.acked == 5);
  CHECK(stats.messages == 2);
  CHECK(stats.bytes == 3);
  CHECK(store->healthy());
}

TEST_CASE_TEMPLATE("read stops before max_bytes but always returns one message", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  const std::string big(100, 'b');
  store->enqueue("dev", text(big), kNow);
  store->enqueue("dev", text("small"), kNow);
  std::vector<StoredMessage> out;
  store->read("dev", 0, 10, 10, kNow, out);
  CHECK(seqs_of(out) == Seqs{1});
  store->read("dev", 0, 10, 105, kNow, out);
  CHECK(seqs_of(out) == Seqs{1, 2});
  store->read("dev", 0, 0, 1000, kNow, out);
  CHECK(out.empty());
  store->read("nobody", 0, 10, 1000, kNow, out);
  CHECK(out.empty());
}

TEST_CASE_TEMPLATE("enqueue_batch answers like a loop of single enqueues", Store, STORE_KINDS) {
  Store batch_kind, loop_kind;
  StoreOptions options;
  options.per_device_messages = 3;
  options.full_policy = FullPolicy::DropOldest;
  auto batched = batch_kind.open(options);
  auto looped = loop_kind.open(options);
  const std::vector<std::pair<std::string_view, NewMessage>> messages = {
      {"a", text("a1")},           {"b", keyed("b1", "state")}, {"a", keyed("a2", "", "k")},
      {"b", keyed("b2", "state")}, {"a", keyed("a3", "", "k")}, {"a", text("a4")},
      {"a", text("a5")},           {"", text("bad device")}};

  std::vector<EnqueueResult> batch_results;
  batched->enqueue_batch(messages, kNow, batch_results);
  REQUIRE(batch_results.size() == messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    CAPTURE(i);
    auto single = looped->enqueue(messages[i].first, messages[i].second, kNow);
    CHECK(batch_results[i].status == single.status);
    CHECK(batch_results[i].seq == single.seq);
    CHECK(batch_results[i].replaced == single.replaced);
    CHECK(batch_results[i].dropped_oldest == single.dropped_oldest);
  }
  CHECK(batch_results[4].status == Status::Duplicate);
  CHECK(batch_results[4].message_id == batch_results[2].message_id);
  CHECK(batch_results[3].replaced);
  CHECK(batch_results[6].dropped_oldest == 1);
  CHECK(batch_results[7].status == Status::Invalid);
  for (std::string_view device : {"a", "b"}) {
    CHECK(queued_seqs(*batched, device) == queued_seqs(*looped, device));
  }
  CHECK(queued_seqs(*batched, "a") == Seqs{2, 3, 4});
  CHECK(batched->stats().messages == looped->stats().messages);
}

TEST_CASE_TEMPLATE("invalid input is refused without touching any queue", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  CHECK(store->enqueue("", text("x"), kNow).status == Status::Invalid);
  const std::string long_topic(70'000, 't');
  NewMessage message = text("x");
  message.topic = long_topic;
  auto result = store->enqueue("dev", message, kNow);
  CHECK(result.status == Status::Invalid);
  CHECK(result.error.find("topic") != std::string::npos);
  CHECK(store->info("dev").next_seq == 1);
  CHECK(store->stats().messages == 0);
}

TEST_CASE_TEMPLATE("ack_batch acks several devices in one write like single acks", Store,
                   STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  for (const char* device : {"a", "b", "c"})
    for (int i = 0; i < 4; ++i) REQUIRE(store->enqueue(device, text("xy"), kNow).seq == i + 1);
  const std::pair<std::string_view, std::uint64_t> acks[] = {
      {"a", 2}, {"b", 4}, {"c", 0}, {"", 3}, {"unknown", 9}};
  store->ack_batch(acks);
  CHECK(queued_seqs(*store, "a") == Seqs{3, 4});
  CHECK(queued_seqs(*store, "b").empty());
  CHECK(queued_seqs(*store, "c") == Seqs{1, 2, 3, 4});
  CHECK(store->info("b").acked_through == 4);
  CHECK(store->stats().acked == 6);
  CHECK(store->stats().messages == 6);
  CHECK(store->stats().bytes == 12);
}
