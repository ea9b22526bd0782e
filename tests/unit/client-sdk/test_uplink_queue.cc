#include "uplink_queue.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace kite::sdk {
namespace {

using protocol::SendStatus;

// A session stand-in: hands out seqs from `next`, refuses once `credit` is spent.
struct FakeSession {
  std::uint64_t next = 1;
  int credit = 100;
  std::vector<std::pair<std::uint64_t, std::string>> sent;  // seq (0 for QoS 0), payload

  auto sender() {
    return [this](const UplinkQueue::Entry& e, std::uint32_t) -> SendResult {
      if (credit == 0) return {SendStatus::NoCredit};
      --credit;
      std::uint64_t seq = e.at_least_once ? (e.seq != 0 ? e.seq : next++) : 0;
      sent.emplace_back(seq, e.payload);
      return {SendStatus::Sent, seq};
    };
  }
};

Publish message(std::string_view payload, bool qos1 = true) {
  return {.payload = payload, .at_least_once = qos1};
}

}  // namespace

TEST_CASE("uplink queue: bounded by count and bytes, checked when pushing") {
  UplinkQueue queue(3, 10);
  CHECK(queue.push(message("aaaa"), {}, 0) == Error::Ok);
  CHECK(queue.push(message("bbbb"), {}, 0) == Error::Ok);
  CHECK(queue.push(message("ccc"), {}, 0) == Error::QueueFull);  // 11 bytes
  CHECK(queue.push(message("cc"), {}, 0) == Error::Ok);
  CHECK(queue.push(message(""), {}, 0) == Error::QueueFull);  // 3 messages
  CHECK(queue.size() == 3);
  CHECK(queue.bytes() == 10);
}

TEST_CASE("uplink queue: QoS 1 stays until acked, QoS 0 is done once written") {
  UplinkQueue queue(10, 1'000);
  std::vector<std::string> done;
  auto note = [&](std::string name) {
    return [&done, name](Error e, std::string_view) {
      done.push_back(name + ":" + (e == Error::Ok ? "ok" : "err"));
    };
  };
  queue.push(message("one"), note("one"), 0);
  queue.push(message("zero", false), note("zero"), 0);
  queue.push(message("two"), note("two"), 0);
  FakeSession session;
  std::vector<Finished> finished;
  queue.pump(session.sender(), 0, finished);
  REQUIRE(session.sent.size() == 3);
  CHECK(session.sent[1].first == 0);
  REQUIRE(finished.size() == 1);  // the QoS 0 message
  for (auto& f : finished) f.done(f.error, f.detail);
  finished.clear();
  CHECK(queue.size() == 2);
  queue.acked(1, finished);
  queue.acked(2, finished);
  for (auto& f : finished) f.done(f.error, f.detail);
  CHECK(done == std::vector<std::string>{"zero:ok", "one:ok", "two:ok"});
  CHECK(queue.size() == 0);
  CHECK(queue.bytes() == 0);
}

TEST_CASE("uplink queue: a resumed session resends what the server lacks, with the same seqs") {
  UplinkQueue queue(10, 1'000);
  for (auto p : {"a", "b", "c", "d"}) queue.push(message(p), {}, 0);
  FakeSession first;
  std::vector<Finished> finished;
  queue.pump(first.sender(), 0, finished);
  CHECK(first.sent.size() == 4);

  // The connection broke; the server had stored up to seq 2 before it did.
  queue.reopened(/*resumed=*/true, 2, finished);
  CHECK(queue.size() == 2);
  FakeSession second;
  second.next = 5;
  queue.pump(second.sender(), 0, finished);
  REQUIRE(second.sent.size() == 2);
  CHECK(second.sent[0] == std::pair<std::uint64_t, std::string>{3, "c"});
  CHECK(second.sent[1] == std::pair<std::uint64_t, std::string>{4, "d"});

  // Not resumed (the server lost our session): everything unconfirmed goes again, renumbered.
  queue.reopened(/*resumed=*/false, 0, finished);
  FakeSession third;
  queue.pump(third.sender(), 0, finished);
  REQUIRE(third.sent.size() == 2);
  CHECK(third.sent[0] == std::pair<std::uint64_t, std::string>{1, "c"});
  CHECK(third.sent[1] == std::pair<std::uint64_t, std::string>{2, "d"});
}

TEST_CASE("uplink queue: no credit stops the pump; refused, expired and fail_all finish entries") {
  UplinkQueue queue(10, 1'000);
  std::vector<std::pair<Error, std::string>> done;
  auto note = [&](Error e, std::string_view why) { done.emplace_back(e, std::string(why)); };
  queue.push(message("a"), note, 0);
  queue.push(message("b"), note, 0);
  queue.push({.payload = "short-lived", .ttl_ms = 100}, note, 0);
  queue.push(message("c"), note, 0);
  FakeSession session;
  session.credit = 2;
  std::vector<Finished> finished;
  queue.pump(session.sender(), 50, finished);
  CHECK(session.sent.size() == 2);
  CHECK(finished.empty());

  session.credit = 10;
  queue.pump(session.sender(), 500, finished);  // the ttl passed while waiting for credit
  REQUIRE(finished.size() == 1);
  CHECK(finished[0].error == Error::Expired);
  CHECK(session.sent.size() == 3);

  queue.refused(2, "QueueFull", finished);
  REQUIRE(finished.size() == 2);
  CHECK(finished[1].error == Error::Refused);
  CHECK(finished[1].detail == "QueueFull");

  queue.fail_all(Error::Stopped, "stopped", finished);
  CHECK(finished.size() == 4);
  CHECK(finished[2].error == Error::Stopped);
  CHECK(queue.size() == 0);
  CHECK(queue.bytes() == 0);
}

}  // namespace kite::sdk
