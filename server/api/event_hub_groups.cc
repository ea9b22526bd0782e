// EventHub: what consumer groups add to it. Reads for a member go from its partitions' marks;
// the groups' cursors are saved on the hub's timer; GET /v1/event-groups describes them.
#include <fmt/format.h>

#include <algorithm>
#include <utility>

#include "api/event_hub.h"

namespace kite::server::api {
namespace {
constexpr std::size_t kChunkBytes = 128 * 1024, kScanPerRead = 4096;
// Events counted for a group's lag at most: the count holds the log's mutex, which workers need
// to append, and a read token may ask for every group's lag at once.
constexpr std::size_t kLagScan = 100'000;
}  // namespace

events::ReadResult EventHub::read_next(Reader& reader, std::size_t take, std::uint64_t now_ms) {
  const std::size_t before = scratch_.size();
  if (!reader.group) {
    auto read = log_.read(
        reader.after, [&](const events::EventView& e) { return matches(reader.query, e); }, take,
        kChunkBytes, kScanPerRead, scratch_);
    reader.after = read.next_after;
    keep_group_members(reader.query, before);
    return read;
  }
  if (shared_groups_) return read_shared(reader, take);
  return read_as_member(reader, *reader.group, take, static_cast<std::int64_t>(now_ms));
}

events::ReadResult EventHub::read_as_member(Reader& reader, events::ConsumerGroup& group,
                                            std::size_t take, std::int64_t now_ms) {
  const std::size_t before = scratch_.size();
  const std::string& member = reader.query.member;
  const auto after = group.read_after(member);
  if (!after) return {reader.after};  // it owns no partition now: nothing to read
  // The group's filter runs with the log's mutex held, like matches(): it takes no lock.
  auto read = log_.read(
      *after,
      [&](const events::EventView& e) {
        return matches(reader.query, e) && group.wants(member, e.id, e.device);
      },
      take, kChunkBytes, kScanPerRead, scratch_);
  keep_group_members(reader.query, before);
  std::vector<std::pair<std::uint64_t, std::string_view>> given;
  given.reserve(scratch_.size() - before);
  for (std::size_t i = before; i < scratch_.size(); ++i)
    given.emplace_back(scratch_[i].id, scratch_[i].device);
  group.given(member, read.next_after, given, now_ms);
  reader.after = read.next_after;
  return read;
}

bool EventHub::caught_up(const Reader& reader) const {
  if (!reader.group) return reader.after == log_.last_id() || log_.awaiting(reader.after);
  const auto after = reader.group->read_after(reader.query.member);
  return !after || *after >= log_.last_id();
}

events::ConsumerGroup* EventHub::join_group(const EventQuery& query, std::uint64_t now_ms,
                                            std::string& problem, int& status) {
  if (shared_groups_) return join_shared(query, problem, status);
  auto found = consumer_groups_.find(query.consumer_group);
  if (found == consumer_groups_.end() && consumer_groups_.size() >= kMaxConsumerGroups) {
    problem = fmt::format("this server keeps at most {} consumer groups; use an existing one",
                          kMaxConsumerGroups);
    return nullptr;
  }
  if (found != consumer_groups_.end() && !found->second.is_member(query.member) &&
      found->second.members().size() >= kMaxMembersPerGroup) {
    problem = fmt::format("a consumer group has at most {} members at once", kMaxMembersPerGroup);
    return nullptr;
  }
  // A new group starts where its first reader asks (after=0: everything held), else from now.
  auto [it, created] = consumer_groups_.try_emplace(
      query.consumer_group, query.consumer_group, query.after.value_or(log_.last_id()), timeouts_);
  if (created && store_) store_->save_consumer_group(it->first, it->second.acked());
  // The ack first: partitions it leaves with nothing in flight can go to others at the attach.
  if (query.ack) it->second.ack(query.member, *query.ack, static_cast<std::int64_t>(now_ms));
  it->second.attach(query.member, static_cast<std::int64_t>(now_ms));
  return &it->second;
}

void EventHub::save_groups() {
  for (auto& [name, group] : consumer_groups_)
    if (group.take_changed() && store_) store_->save_consumer_group(name, group.acked());
}

EventHub::AckResult EventHub::ack(const std::string& group, const std::string& member,
                                  std::uint64_t through) {
  if (shared_groups_) return ack_shared(group, member, through);
  auto it = consumer_groups_.find(group);
  if (it == consumer_groups_.end() || !it->second.is_member(member)) return {};
  return {AckResult::Outcome::acked, it->second.ack(member, through, group_now())};
}

std::string EventHub::describe_groups() const {
  std::string out = "{\"groups\":[";
  if (shared_groups_) {  // every node's groups, as the cluster keeps them
    for (const std::string& name : shared_groups_->names()) {
      if (auto group = shared_groups_->load(name))
        out += (out.back() == '[' ? "" : ",") + describe(name, *group);
    }
  } else {
    for (const auto& entry : consumer_groups_)
      out += (out.back() == '[' ? "" : ",") + describe(entry.first, entry.second);
  }
  return out + "]}";
}

std::string EventHub::describe(const std::string& name, const events::ConsumerGroup& group) const {
  const auto pending = log_.count(
      group.lowest_acked(),
      [&](const events::EventView& e) { return !group.handled(e.id, e.device); }, kLagScan);
  std::string out = fmt::format(R"({{"name":"{}","lag":{},"lag_capped":{},"redelivered":{},)", name,
                                pending.events, pending.capped, group.redelivered());
  if (pending.events == 0)
    out += R"("oldest_pending":null,"members":[)";
  else
    out += fmt::format(R"("oldest_pending":{{"id":"{}","time":{}}},"members":[)", pending.first_id,
                       pending.first_time_ms);
  // Shared, a member is attached while some node touches it (each tick, kTickMs).
  const std::int64_t now = group_now();
  bool first_member = true;
  for (const auto& member : group.members()) {
    const bool attached = member.attached || (shared_groups_ && now - member.last_read_ms <=
                                                                    4 * std::int64_t{kTickMs});
    out += fmt::format(R"({}{{"member":"{}","partitions":{},"in_flight":{},"attached":{}}})",
                       first_member ? "" : ",", member.name, member.partitions, member.in_flight,
                       attached);
    first_member = false;
  }
  return out + "]}";
}

}  // namespace kite::server::api
