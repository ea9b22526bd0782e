// EventHub: the readers of GET /v1/events on the admin loop, streams (Server-Sent Events) and
// long-polls, each at its own place in the EventLog.
//
// How it keeps up without buffering: a reader holds only a cursor (the last id it was given).
// When events arrive (the log's listener wakes the loop) or the hub's timer ticks, each reader
// copies what matches from the log, up to a chunk at a time, while its socket is not behind by
// more than kHighWaterBytes. A reader that falls behind the log's retention is told so by a gap
// event and goes on from the oldest event held. Memory per reader is a cursor and a filter.
//
// Slots: kMaxReaders in all, and at most kMaxReadersPerToken for one bearer token, so that one
// client (or one leaked token) cannot shut every other consumer out.
//
// Consumer groups (query consumer_group + member): readers that share the events, one member
// each (events/consumer_group.h has the rules). The hub keeps the groups, reads for a member
// from its partitions' marks instead of its own cursor, saves the groups' acknowledged cursors
// in the store on its timer when they moved, and reloads them at start. On a cluster node the
// groups are shared with the other nodes instead (events/shared_consumer_groups.h): every change
// to a group (a join, a read, an ack, the timer's tick) is made on its newest state there, and the
// node's copy serves only to decide when a member is caught up; group times are wall-clock.
//
// Rules: loop thread only (the listener is the one thing workers call, and it only signals).
// close() ends every stream and answers every poll, and must run before the loop closes.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "api/event_query.h"
#include "core/group_directory.h"
#include "events/consumer_group.h"
#include "events/event_log.h"
#include "events/shared_consumer_groups.h"
#include "http/responder.h"
#include "store/message_store.h"

namespace kite::server::api {

class EventHub {
 public:
  static constexpr std::size_t kMaxReaders = 256;
  static constexpr std::size_t kMaxReadersPerToken = kMaxReaders / 4;
  static constexpr std::size_t kHighWaterBytes = 256 * 1024;
  static constexpr std::uint64_t kTickMs = 250, kKeepAliveMs = 15'000;
  static constexpr std::size_t kMaxConsumerGroups = 64, kMaxMembersPerGroup = 256;

  // `store` (may be null) keeps the consumer groups' cursors; `shared` (a cluster node's, or
  // null) keeps the groups themselves instead.
  EventHub(uv_loop_t* loop, events::EventLog& log, const GroupDirectory& groups,
           MessageStore* store = nullptr, events::ConsumerGroupTimeouts timeouts = {},
           events::SharedConsumerGroups* shared = nullptr);
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // Answers the request: a stream, or a poll when query.wait_ms is set. `token` names the
  // bearer token the request came with (its slots are counted apart).
  void serve(EventQuery query, const http::Responder& responder, std::string token = {});
  void close();

  std::size_t readers() const { return readers_.size(); }

  // POST /v1/event-groups/{name}/ack: the member handled what it was given up to `through`.
  struct AckResult {
    enum class Outcome { acked, unknown, unavailable } outcome = Outcome::unknown;
    std::uint64_t acked = 0;  // the newest id now acknowledged, when acked
  };
  AckResult ack(const std::string& group, const std::string& member, std::uint64_t through);
  // GET /v1/event-groups: every group, its members, lag and oldest pending event, as JSON.
  std::string describe_groups() const;

 private:
  struct Reader {
    EventQuery query;
    http::Responder responder;
    std::string token;              // the name of the bearer token it came with
    std::uint64_t after = 0;        // the last id this reader has seen (matched or not)
    std::uint64_t deadline_ms = 0;  // polls: answer by then
    std::uint64_t last_write_ms = 0;
    events::ConsumerGroup* group = nullptr;  // a consumer group member (query.member)
    bool done = false;
  };

  static void on_async(uv_async_t* handle);
  static void on_timer(uv_timer_t* handle);

  void pump_all();
  void pump_stream(Reader& reader, std::uint64_t now_ms);
  void pump_poll(Reader& reader, std::uint64_t now_ms);
  static bool matches(const EventQuery& query, const events::EventView& event);
  void keep_group_members(const EventQuery& query, std::size_t from);
  // One read for `reader` into scratch_ (from `from`): plain, or as its group's member.
  events::ReadResult read_next(Reader& reader, std::size_t take, std::uint64_t now_ms);
  events::ReadResult read_as_member(Reader& reader, events::ConsumerGroup& group, std::size_t take,
                                    std::int64_t now_ms);
  bool caught_up(const Reader& reader) const;
  // The reader's group, joined; nullptr (and `problem`, `status` set) when a cap says no.
  events::ConsumerGroup* join_group(const EventQuery& query, std::uint64_t now_ms,
                                    std::string& problem, int& status);
  std::string describe(const std::string& name, const events::ConsumerGroup& group) const;

  // Consumer groups shared with other nodes (event_hub_shared_groups.cc).
  std::int64_t group_now() const;  // wall-clock when shared: the nodes compare times
  events::ConsumerGroup* join_shared(const EventQuery& query, std::string& problem, int& status);
  events::ReadResult read_shared(Reader& reader, std::size_t take);
  AckResult ack_shared(const std::string& group, const std::string& member, std::uint64_t through);
  void tick_shared();
  // The node's copy of a group, made the state just saved.
  events::ConsumerGroup& keep_copy(const std::string& name, events::ConsumerGroup saved);
  // Whether the shared store failed less than kSharedPauseMs ago (its calls wait then: a Redis
  // that is away would otherwise hold the loop for a connect timeout per reader and pump).
  bool shared_paused() const;
  events::SharedConsumerGroups::Outcome noted(events::SharedConsumerGroups::Outcome outcome);
  // Gives `member` again what it may have been given by a read whose save is in doubt.
  void settle(events::ConsumerGroup& group, const std::string& member);
  void save_groups();
  void remove_done();
  std::size_t readers_of(const std::string& token) const;

  uv_loop_t* loop_;
  events::EventLog& log_;
  const GroupDirectory& groups_;
  uv_async_t async_{};
  uv_timer_t timer_{};
  // Shared so that a connection's close callback (which may come late) can reach its reader
  // through a weak_ptr, or find it gone.
  std::vector<std::shared_ptr<Reader>> readers_;
  std::atomic<std::size_t> reader_count_{0};  // read by the log's listener on worker threads
  std::vector<events::Event> scratch_;
  MessageStore* store_;
  events::ConsumerGroupTimeouts timeouts_;
  std::map<std::string, events::ConsumerGroup> consumer_groups_;  // node-stable: readers point in
  events::SharedConsumerGroups* shared_groups_;                   // null: the groups are here
  std::set<std::pair<std::string, std::string>> uncertain_;  // (group, member): a read in doubt
  std::int64_t shared_paused_until_ms_ = 0;
  bool closed_ = false;
};

}  // namespace kite::server::api
