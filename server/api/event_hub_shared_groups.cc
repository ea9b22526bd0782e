// EventHub: consumer groups shared with the other nodes of a cluster. Every change is made on the
// group's newest state in the shared store and kept here only once saved; a change that raced
// another node's is dropped (its read gives nothing now, and the next pump or tick tries again).
//
// A read whose save is in doubt (the answer to its EXEC was lost) may have marked events given
// that never left this node: the member gets what it holds unacknowledged again at its next
// saved change (settle()), so nothing is skipped; it may see some events twice (at least once).
#include <fmt/format.h>

#include "api/event_hub.h"
#include "common/wall_clock.h"

namespace kite::server::api {
namespace {
constexpr int kAttempts = 4;                    // for a join or an ack, which a caller waits on
constexpr std::int64_t kSharedPauseMs = 1'000;  // after a failure of the shared store
using Outcome = events::SharedConsumerGroups::Outcome;
}  // namespace

std::int64_t EventHub::group_now() const {
  return shared_groups_ ? wall_clock_ms() : static_cast<std::int64_t>(uv_now(loop_));
}

bool EventHub::shared_paused() const {
  return group_now() < shared_paused_until_ms_;
}

Outcome EventHub::noted(Outcome outcome) {
  if (outcome == Outcome::failed || outcome == Outcome::unknown)
    shared_paused_until_ms_ = group_now() + kSharedPauseMs;
  return outcome;
}

void EventHub::settle(events::ConsumerGroup& group, const std::string& member) {
  if (uncertain_.contains({group.name(), member})) group.take_back(member);
}

events::ConsumerGroup& EventHub::keep_copy(const std::string& name, events::ConsumerGroup saved) {
  auto it = consumer_groups_.try_emplace(name, name, 0, timeouts_).first;
  it->second = std::move(saved);  // in place: readers point at it
  return it->second;
}

events::ConsumerGroup* EventHub::join_shared(const EventQuery& query, std::string& problem,
                                             int& status) {
  const std::int64_t now = group_now();
  const std::string& name = query.consumer_group;
  for (int attempt = 0; attempt < kAttempts && !shared_paused(); ++attempt) {
    std::optional<events::ConsumerGroup> saved;
    const Outcome outcome = noted(shared_groups_->update(name, [&](auto& group) {
      if (!group) {
        if (shared_groups_->names().size() >= kMaxConsumerGroups) {
          problem = fmt::format("the cluster keeps at most {} consumer groups; use an existing one",
                                kMaxConsumerGroups);
          return;
        }
        // A new group starts where its first reader asks (after=0: everything held), else now.
        group.emplace(name, query.after.value_or(log_.last_id()), timeouts_);
      } else if (!group->is_member(query.member) &&
                 group->members().size() >= kMaxMembersPerGroup) {
        problem =
            fmt::format("a consumer group has at most {} members at once", kMaxMembersPerGroup);
        group.reset();  // nothing to save
        return;
      }
      settle(*group, query.member);
      if (query.ack) group->ack(query.member, *query.ack, now);
      group->attach(query.member, now);
      saved = group;
    }));
    if (outcome != Outcome::saved) continue;  // a join is safe to make again
    if (!saved) return nullptr;               // a cap said no: `problem` says which
    uncertain_.erase({name, query.member});
    return &keep_copy(name, std::move(*saved));
  }
  status = 503;
  problem =
      "the consumer group could not be joined in the shared store (Redis unreachable, or "
      "busy): try again";
  return nullptr;
}

events::ReadResult EventHub::read_shared(Reader& reader, std::size_t take) {
  const std::size_t before = scratch_.size();
  const std::uint64_t after_before = reader.after;
  if (shared_paused()) return {reader.after};
  const std::string& member = reader.query.member;
  events::ReadResult read{reader.after};
  std::optional<events::ConsumerGroup> saved;
  const Outcome outcome =
      noted(shared_groups_->update(reader.query.consumer_group, [&](auto& group) {
        scratch_.resize(before);
        if (!group) return;  // its state is gone from Redis: tick_shared() puts it back
        settle(*group, member);
        read = read_as_member(reader, *group, take, group_now());
        saved = group;
      }));
  if (outcome == Outcome::unknown) uncertain_.insert({reader.query.consumer_group, member});
  if (outcome != Outcome::saved || !saved) {  // nothing given: the events go out on a later read
    scratch_.resize(before);
    reader.after = after_before;
    return {reader.after};
  }
  uncertain_.erase({reader.query.consumer_group, member});
  *reader.group = std::move(*saved);
  return read;
}

EventHub::AckResult EventHub::ack_shared(const std::string& name, const std::string& member,
                                         std::uint64_t through) {
  const std::int64_t now = group_now();
  for (int attempt = 0; attempt < kAttempts && !shared_paused(); ++attempt) {
    AckResult result;
    std::optional<events::ConsumerGroup> saved;
    const Outcome outcome = noted(shared_groups_->update(name, [&](auto& group) {
      if (group && group->is_member(member)) {
        result = {AckResult::Outcome::acked, group->ack(member, through, now)};
        saved = group;
      } else {
        group.reset();  // unknown: nothing to save
      }
    }));
    if (outcome != Outcome::saved) continue;  // a cumulative ack is safe to make again
    if (saved) keep_copy(name, std::move(*saved));
    return result;
  }
  return {AckResult::Outcome::unavailable};
}

// For each group with members read through this node: they are alive (touched, or joined again
// if another node dropped them meanwhile), then the group's timeouts and balance run. A group
// whose state is gone from Redis (evicted, flushed, not understood) starts again from this
// node's copy: its members keep reading from where they were acknowledged.
void EventHub::tick_shared() {
  if (shared_paused()) return;
  const std::int64_t now = group_now();
  for (auto& entry : consumer_groups_) {
    std::vector<std::string> here;
    for (const auto& reader : readers_)
      if (!reader->done && reader->group == &entry.second) here.push_back(reader->query.member);
    if (here.empty()) continue;
    std::optional<events::ConsumerGroup> saved;
    const Outcome outcome = noted(shared_groups_->update(entry.first, [&](auto& group) {
      if (!group) group = entry.second;
      for (const std::string& member : here) {
        settle(*group, member);
        if (group->is_member(member))
          group->touch(member, now);
        else
          group->attach(member, now);
      }
      group->tick(now);
      saved = group;
    }));
    if (outcome == Outcome::failed || outcome == Outcome::unknown) return;  // paused: try later
    if (outcome != Outcome::saved || !saved) continue;
    for (const std::string& member : here) uncertain_.erase({entry.first, member});
    entry.second = std::move(*saved);
  }
}

}  // namespace kite::server::api
