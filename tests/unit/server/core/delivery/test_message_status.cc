// The message status book: every transition, the window, the cap, and threads at once.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "core/delivery/message_status.h"

namespace kite::server {
namespace {

constexpr std::uint64_t kWindow = 1'000;

// 26 characters, like the store's ids; `n` makes it unique.
std::string id_of(int n) {
  std::string id = "aaaaaaaaaaaaaaaaaaaaaaaaaa";
  const std::string digits = std::to_string(n);
  id.replace(id.size() - digits.size(), digits.size(), digits);
  return id;
}

StoredNotice notice(const std::string& id, std::string_view device, std::uint64_t seq,
                    std::string_view key = {}, bool replaced = false,
                    std::uint64_t expires_at = 0) {
  return {id, device, seq, expires_at, key, replaced};
}

MessageState state_of(MessageStatusBook& book, const std::string& id, std::uint64_t now = 100) {
  auto status = book.find(id, now);
  REQUIRE(status.has_value());
  return status->state;
}

TEST_CASE("queued, sent, acked: each step with its time") {
  MessageStatusBook book(kWindow, 100);
  book.queued(notice(id_of(1), "d1", 7), 10);
  auto status = book.find(id_of(1), 11);
  REQUIRE(status.has_value());
  CHECK(status->device == "d1");
  CHECK(status->seq == 7);
  CHECK(status->state == MessageState::queued);
  CHECK(status->queued_at == 10);
  CHECK(status->sent_at == 0);
  CHECK(status->ended_at == 0);

  book.sent("d1", 7, 20);
  book.sent("d1", 7, 25);  // a resend: the first send counts
  status = book.find(id_of(1), 21);
  CHECK(status->state == MessageState::sent);
  CHECK(status->sent_at == 20);

  book.acked("d1", 7, 30);
  status = book.find(id_of(1), 31);
  CHECK(status->state == MessageState::acked);
  CHECK(status->ended_at == 30);
  CHECK(state_name(status->state) == "acked");
  CHECK(book.entries() == 1);
}

TEST_CASE("an ack is cumulative and only for its own device") {
  MessageStatusBook book(kWindow, 100);
  for (int seq = 1; seq <= 3; ++seq) book.queued(notice(id_of(seq), "d1", seq), 10);
  book.queued(notice(id_of(9), "d2", 1), 10);
  book.acked("d1", 2, 20);
  CHECK(state_of(book, id_of(1)) == MessageState::acked);
  CHECK(state_of(book, id_of(2)) == MessageState::acked);
  CHECK(state_of(book, id_of(3)) == MessageState::queued);
  CHECK(state_of(book, id_of(9)) == MessageState::queued);
  book.acked("d1", 1, 30);  // an older ack changes nothing
  book.acked("d1", 3, 40);
  CHECK(book.find(id_of(3), 41)->ended_at == 40);
  CHECK(book.find(id_of(1), 41)->ended_at == 20);
}

TEST_CASE("expired, dropped with a reason, replaced; an end state is final") {
  MessageStatusBook book(kWindow, 100);
  for (int seq = 1; seq <= 3; ++seq) book.queued(notice(id_of(seq), "d1", seq), 10);
  book.ended("d1", 1, MessageState::expired, {}, 20);
  book.ended("d1", 2, MessageState::dropped, "too_large", 20);
  book.ended("d1", 3, MessageState::replaced, {}, 20);
  book.ended("d1", 2, MessageState::expired, {}, 30);  // too late: it was dropped
  book.acked("d1", 3, 40);
  CHECK(state_of(book, id_of(1)) == MessageState::expired);
  auto dropped = book.find(id_of(2), 50);
  CHECK(dropped->state == MessageState::dropped);
  CHECK(dropped->reason == "too_large");
  CHECK(dropped->ended_at == 20);
  CHECK(state_of(book, id_of(3)) == MessageState::replaced);
}

TEST_CASE("a message stored with the key of a live one replaces it") {
  MessageStatusBook book(kWindow, 100);
  book.queued(notice(id_of(1), "d1", 1, "temp"), 10);
  book.queued(notice(id_of(2), "d1", 2, "other"), 10);
  book.queued(notice(id_of(3), "d1", 3, "temp", /*replaced=*/true), 20);
  auto first = book.find(id_of(1), 30);
  CHECK(first->state == MessageState::replaced);
  CHECK(first->ended_at == 20);
  CHECK(state_of(book, id_of(2)) == MessageState::queued);
  CHECK(state_of(book, id_of(3)) == MessageState::queued);
}

TEST_CASE("a message whose TTL passed unsent is expired at that time") {
  MessageStatusBook book(kWindow, 100);
  book.queued(notice(id_of(1), "d1", 1, {}, false, 50), 10);
  book.queued(notice(id_of(2), "d1", 2, {}, false, 50), 10);
  book.sent("d1", 2, 20);  // sent in time: the ack decides
  CHECK(state_of(book, id_of(1), 40) == MessageState::queued);
  auto expired = book.find(id_of(1), 60);
  CHECK(expired->state == MessageState::expired);
  CHECK(expired->ended_at == 50);
  book.acked("d1", 2, 70);
  CHECK(state_of(book, id_of(2), 80) == MessageState::acked);
}

TEST_CASE("an ack that came before the dispatcher's notice still counts") {
  MessageStatusBook book(kWindow, 100);
  book.queued(notice(id_of(1), "d1", 1), 10);
  book.acked("d1", 2, 20);
  book.queued(notice(id_of(2), "d1", 2), 21);
  CHECK(state_of(book, id_of(2), 30) == MessageState::acked);
}

TEST_CASE("ended entries are forgotten once the window has passed; live ones are kept") {
  MessageStatusBook book(kWindow, 100);
  book.queued(notice(id_of(1), "d1", 1), 10);
  book.queued(notice(id_of(2), "d1", 2), 10);
  book.acked("d1", 1, 100);
  CHECK(book.find(id_of(1), 100 + kWindow - 1).has_value());
  CHECK_FALSE(book.find(id_of(1), 100 + kWindow).has_value());
  CHECK(book.find(id_of(2), 100 + kWindow * 5).has_value());
  CHECK(book.entries() == 1);
  CHECK_FALSE(book.find("short", 0).has_value());
  CHECK_FALSE(book.find(id_of(99), 0).has_value());
}

TEST_CASE("sweep forgets in every shard") {
  MessageStatusBook book(kWindow, 1'000);
  for (int n = 0; n < 200; ++n) {
    const std::string device = "d" + std::to_string(n);
    book.queued(notice(id_of(n), device, 1), 10);
    book.acked(device, 1, 10);
  }
  CHECK(book.entries() == 200);
  book.sweep(10 + kWindow);
  CHECK(book.entries() == 0);
}

TEST_CASE("at the cap the oldest ended entries go first, then new messages are not tracked") {
  MessageStatusBook book(kWindow, 3);
  book.queued(notice(id_of(1), "d1", 1), 10);
  book.queued(notice(id_of(2), "d2", 1), 10);
  book.queued(notice(id_of(3), "d3", 1), 10);
  book.acked("d1", 1, 20);
  book.acked("d2", 1, 21);
  book.queued(notice(id_of(4), "d4", 1), 30);  // forgets an ended one, of any shard
  book.queued(notice(id_of(5), "d1", 2), 30);  // and the other
  CHECK(book.entries() == 3);
  CHECK_FALSE(book.find(id_of(1), 40).has_value());
  CHECK_FALSE(book.find(id_of(2), 40).has_value());
  CHECK(book.untracked() == 0);
  book.queued(notice(id_of(6), "d6", 1), 40);  // all three live: not tracked
  CHECK(book.untracked() == 1);
  CHECK_FALSE(book.find(id_of(6), 40).has_value());
  CHECK(book.find(id_of(3), 40).has_value());
}

TEST_CASE("an ack deep in a backlog ends only what it covers") {
  MessageStatusBook book(kWindow, 1'000);
  for (int seq = 1; seq <= 100; ++seq) book.queued(notice(id_of(seq), "d1", seq), 10);
  book.acked("d1", 10, 20);
  book.acked("d1", 20, 30);
  CHECK(state_of(book, id_of(10)) == MessageState::acked);
  CHECK(book.find(id_of(11), 40)->ended_at == 30);
  CHECK(state_of(book, id_of(20)) == MessageState::acked);
  CHECK(state_of(book, id_of(21)) == MessageState::queued);
  CHECK(state_of(book, id_of(100)) == MessageState::queued);
}

TEST_CASE("messages stored out of seq order are each tracked once") {
  MessageStatusBook book(kWindow, 100);
  book.queued(notice(id_of(3), "d1", 3), 10);
  book.queued(notice(id_of(1), "d1", 1), 10);
  book.queued(notice(id_of(2), "d1", 2), 10);
  book.queued(notice(id_of(2), "d1", 2), 11);  // told twice
  CHECK(book.entries() == 3);
  book.sent("d1", 1, 20);
  book.acked("d1", 1, 30);
  CHECK(state_of(book, id_of(1)) == MessageState::acked);
  CHECK(state_of(book, id_of(2)) == MessageState::queued);
  book.acked("d1", 3, 40);
  CHECK(state_of(book, id_of(2)) == MessageState::acked);
  CHECK(state_of(book, id_of(3)) == MessageState::acked);
}

TEST_CASE("a live message does not keep those after it that were forgotten") {
  MessageStatusBook book(kWindow, 10'000);
  book.queued(notice(id_of(1), "d1", 1), 10);  // never sent: it stays
  for (int seq = 2; seq <= 301; ++seq) {
    book.queued(notice(id_of(seq), "d1", seq), 10);
    book.ended("d1", seq, MessageState::dropped, "cancelled", 10);
  }
  CHECK(book.entries() == 301);
  book.sweep(10 + kWindow);
  CHECK(book.entries() == 1);
  CHECK_FALSE(book.find(id_of(150), 10 + kWindow).has_value());
  CHECK(state_of(book, id_of(1), 10 + kWindow) == MessageState::queued);
  book.queued(notice(id_of(302), "d1", 302), 2'000);
  book.acked("d1", 302, 2'001);
  CHECK(state_of(book, id_of(1), 2'002) == MessageState::acked);
  CHECK(state_of(book, id_of(302), 2'002) == MessageState::acked);
}

TEST_CASE("a late message below forgotten ones is still found and forgotten in its turn") {
  MessageStatusBook book(kWindow, 100);
  for (int seq = 5; seq <= 7; ++seq) book.queued(notice(id_of(seq), "d1", seq), 10);
  book.ended("d1", 5, MessageState::dropped, "cancelled", 10);
  book.sweep(10 + kWindow);  // 5 forgotten, kept behind nothing but not yet half the entries
  CHECK(book.entries() == 2);
  book.queued(notice(id_of(3), "d1", 3), 2'000);
  CHECK(state_of(book, id_of(3), 2'000) == MessageState::queued);
  book.acked("d1", 7, 2'001);
  CHECK(state_of(book, id_of(3), 2'002) == MessageState::acked);
  CHECK(state_of(book, id_of(6), 2'002) == MessageState::acked);
  book.sweep(2'001 + kWindow);
  CHECK(book.entries() == 0);
  CHECK_FALSE(book.find(id_of(3), 2'001 + kWindow).has_value());
}

TEST_CASE("reasons are kept by name; past the 254th distinct one they read other") {
  MessageStatusBook book(kWindow, 1'000);
  for (int n = 1; n <= 300; ++n) {
    book.queued(notice(id_of(n), "d1", n), 10);
    book.ended("d1", n, MessageState::dropped, "reason-" + std::to_string(n), 20);
  }
  CHECK(book.find(id_of(1), 30)->reason == "reason-1");
  CHECK(book.find(id_of(254), 30)->reason == "reason-254");
  CHECK(book.find(id_of(255), 30)->reason == "other");
  book.queued(notice(id_of(301), "d1", 301), 10);
  book.ended("d1", 301, MessageState::dropped, "reason-7", 20);
  CHECK(book.find(id_of(301), 30)->reason == "reason-7");
}

TEST_CASE("the store's notices end a message's status") {
  MessageStatusBook book(kWindow, 100);
  for (int seq = 1; seq <= 5; ++seq) book.queued(notice(id_of(seq), "d1", seq), 10);
  using Kind = MessageNotice::Kind;
  const auto apply = [&book](Kind kind, std::uint64_t seq, const char* reason, bool cancelled) {
    MessageNotice store_notice;
    store_notice.kind = kind;
    store_notice.device = "d1";
    store_notice.seq = seq;
    store_notice.at_ms = seq == 1 ? 0 : 40;  // 0: the store had no clock, "now" counts
    store_notice.reason = reason;
    store_notice.cancelled = cancelled;
    book.apply(store_notice, 50);
  };
  apply(Kind::Expired, 1, "", false);
  apply(Kind::Dropped, 2, "queue_full", false);
  apply(Kind::Replaced, 3, "", false);
  apply(Kind::Undelivered, 4, "", false);  // still queued: the fallback keeps it
  apply(Kind::Undelivered, 5, "", true);
  auto expired = book.find(id_of(1), 60);
  CHECK(expired->state == MessageState::expired);
  CHECK(expired->ended_at == 50);
  auto dropped = book.find(id_of(2), 60);
  CHECK(dropped->state == MessageState::dropped);
  CHECK(dropped->reason == "queue_full");
  CHECK(dropped->ended_at == 40);
  CHECK(state_of(book, id_of(3), 60) == MessageState::replaced);
  CHECK(state_of(book, id_of(4), 60) == MessageState::queued);
  CHECK(book.find(id_of(5), 60)->reason == "cancelled");
}

TEST_CASE("threads at once: every message ends acked, the count stays right") {
  MessageStatusBook book(kWindow * 1000, 1'000'000);
  constexpr int kThreads = 4, kPerThread = 2'000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&book, t] {
      for (int n = 0; n < kPerThread; ++n) {
        const std::string device = "dev" + std::to_string(t * 10 + n % 10);
        const auto seq = static_cast<std::uint64_t>(n / 10 + 1);
        book.queued(notice(id_of(t * kPerThread + n), device, seq), 10);
        book.sent(device, seq, 11);
        book.acked(device, seq, 12);
      }
    });
  std::thread reader([&book] {
    for (int n = 0; n < 50; ++n) book.find(id_of(n), 12);
  });
  for (auto& thread : threads) thread.join();
  reader.join();
  CHECK(book.entries() == static_cast<std::size_t>(kThreads * kPerThread));
  for (int n = 0; n < kThreads * kPerThread; n += 97)
    CHECK(state_of(book, id_of(n), 13) == MessageState::acked);
}

}  // namespace
}  // namespace kite::server
