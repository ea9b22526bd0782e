#include "events/consumer_group.h"

#include <algorithm>
#include <limits>

namespace kite::server::events {

ConsumerGroup::ConsumerGroup(std::string name, std::uint64_t start, ConsumerGroupTimeouts timeouts)
    : name_(std::move(name)), timeouts_(timeouts) {
  acked_.fill(start);
  for (auto& partition : partitions_) partition.scanned = partition.last_given = start;
}

ConsumerGroup::ConsumerGroup(std::string name, const Cursors& acked, ConsumerGroupTimeouts timeouts)
    : name_(std::move(name)), timeouts_(timeouts), acked_(acked) {
  for (std::size_t p = 0; p < kPartitions; ++p)
    partitions_[p].scanned = partitions_[p].last_given = acked_[p];
}

// FNV-1a: the same partition for a device in every build and every run (the cursors are saved).
std::size_t ConsumerGroup::partition_of(std::string_view device) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : device) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return static_cast<std::size_t>(hash % kPartitions);
}

void ConsumerGroup::attach(const std::string& member, std::int64_t now_ms) {
  Member& state = members_[member];
  ++state.attached;
  state.last_read_ms = now_ms;
  balance();
}

// The member keeps its partitions for member_ms: a stream that reconnects finds them again.
void ConsumerGroup::detach(const std::string& member, std::int64_t now_ms) {
  auto it = members_.find(member);
  if (it == members_.end()) return;
  if (it->second.attached > 0) --it->second.attached;
  it->second.last_read_ms = now_ms;
}

std::optional<std::uint64_t> ConsumerGroup::read_after(const std::string& member) const {
  std::optional<std::uint64_t> after;
  for (const auto& partition : partitions_) {
    if (partition.owner == member)
      after =
          std::min(after.value_or(std::numeric_limits<std::uint64_t>::max()), partition.scanned);
  }
  return after;
}

bool ConsumerGroup::wants(const std::string& member, std::uint64_t id,
                          std::string_view device) const {
  const Partition& partition = partitions_[partition_of(device)];
  return partition.owner == member && id > partition.scanned;
}

void ConsumerGroup::given(const std::string& member, std::uint64_t through,
                          std::span<const std::pair<std::uint64_t, std::string_view>> given,
                          std::int64_t now_ms) {
  auto it = members_.find(member);
  if (it == members_.end()) return;
  for (const auto& [id, device] : given) {
    Partition& partition = partitions_[partition_of(device)];
    if (partition.owner == member) partition.last_given = std::max(partition.last_given, id);
  }
  for (std::size_t p = 0; p < kPartitions; ++p) {
    Partition& partition = partitions_[p];
    if (partition.owner != member) continue;
    partition.scanned = std::max(partition.scanned, through);
    if (!in_flight(p) && acked_[p] < partition.scanned) {
      acked_[p] = partition.scanned;  // nothing of it was given: nothing to wait for
      changed_ = true;
    }
  }
  it->second.last_read_ms = now_ms;
  if (!it->second.holding_since_ms && holds_any(member)) it->second.holding_since_ms = now_ms;
}

std::uint64_t ConsumerGroup::ack(const std::string& member, std::uint64_t through,
                                 std::int64_t now_ms) {
  auto it = members_.find(member);
  if (it == members_.end()) return 0;
  std::uint64_t newest = 0;
  for (std::size_t p = 0; p < kPartitions; ++p) {
    Partition& partition = partitions_[p];
    if (partition.owner != member) continue;
    const std::uint64_t moved =
        in_flight(p) ? std::min(through, partition.scanned) : partition.scanned;
    if (moved > acked_[p]) {
      acked_[p] = moved;
      changed_ = true;
    }
    if (!in_flight(p) && acked_[p] < partition.scanned) {
      acked_[p] = partition.scanned;
      changed_ = true;
    }
    newest = std::max(newest, acked_[p]);
  }
  it->second.last_read_ms = now_ms;
  // Progress restarts the visibility clock: a member is silent when it acknowledges nothing.
  it->second.holding_since_ms.reset();
  if (holds_any(member)) it->second.holding_since_ms = now_ms;
  return newest;
}

bool ConsumerGroup::holds_any(const std::string& member) const {
  for (std::size_t p = 0; p < kPartitions; ++p)
    if (partitions_[p].owner == member && in_flight(p)) return true;
  return false;
}

void ConsumerGroup::release(std::size_t p) {
  Partition& partition = partitions_[p];
  partition.owner.clear();
  partition.scanned = partition.last_given = acked_[p];
}

std::size_t ConsumerGroup::owned_by(const std::string& member) const {
  return static_cast<std::size_t>(std::count_if(partitions_.begin(), partitions_.end(),
                                                [&](const auto& p) { return p.owner == member; }));
}

namespace {

// now_ms - since_ms without overflow: a state read back from Redis may hold any time at all
// (fuzz_consumer_group_state found one); a time in the future has not elapsed.
std::int64_t elapsed_ms(std::int64_t since_ms, std::int64_t now_ms) {
  std::int64_t elapsed = 0;
  if (__builtin_sub_overflow(now_ms, since_ms, &elapsed))
    return since_ms < 0 ? std::numeric_limits<std::int64_t>::max() : 0;
  return std::max<std::int64_t>(elapsed, 0);
}

}  // namespace

void ConsumerGroup::tick(std::int64_t now_ms) {
  for (auto it = members_.begin(); it != members_.end();) {
    const Member& member = it->second;
    if (member.attached == 0 && elapsed_ms(member.last_read_ms, now_ms) > timeouts_.member_ms) {
      for (std::size_t p = 0; p < kPartitions; ++p)
        if (partitions_[p].owner == it->first) {
          if (in_flight(p)) ++redelivered_;
          release(p);
        }
      it = members_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto& [name, member] : members_) {
    if (!member.holding_since_ms ||
        elapsed_ms(*member.holding_since_ms, now_ms) <= timeouts_.visibility_ms)
      continue;
    // Silent: what it holds goes back to `acked`, to another member if there is one (alone: to
    // itself again).
    for (std::size_t p = 0; p < kPartitions; ++p) {
      if (partitions_[p].owner != name || !in_flight(p)) continue;
      ++redelivered_;
      release(p);
      partitions_[p].owner = fewest_but(name);
    }
    member.holding_since_ms.reset();
  }
  balance();
}

// Unowned partitions go to the members with the fewest; then, while two members differ by more
// than one, a partition with nothing in flight moves from the one with most to the one with
// fewest (never one in flight: per-device order).
void ConsumerGroup::balance() {
  if (members_.empty()) return;
  auto fewest = [&] { return fewest_but({}); };
  for (auto& partition : partitions_)
    if (partition.owner.empty()) partition.owner = fewest();
  for (std::size_t moves = 0; moves < kPartitions; ++moves) {
    const std::string to = fewest();
    std::string from;
    std::size_t most = 0;
    for (const auto& [name, member] : members_) {
      if (const std::size_t owned = owned_by(name); owned > most) {
        most = owned;
        from = name;
      }
    }
    if (most <= owned_by(to) + 1) return;
    std::size_t p = kPartitions;
    while (p-- > 0)
      if (partitions_[p].owner == from && !in_flight(p)) break;
    if (p >= kPartitions) return;  // everything it has is in flight: try again later
    partitions_[p].owner = to;
  }
}

// The member owning the fewest partitions, `except` left out unless it is the only one.
std::string ConsumerGroup::fewest_but(const std::string& except) const {
  const std::string* best = nullptr;
  std::size_t count = kPartitions + 1;
  for (const auto& [name, member] : members_) {
    const std::size_t owned = owned_by(name);
    if (name != except && owned < count) {
      count = owned;
      best = &name;
    }
  }
  return best ? *best : except;
}

std::vector<ConsumerGroup::MemberState> ConsumerGroup::members() const {
  std::vector<MemberState> out;
  for (const auto& [name, member] : members_) {
    MemberState state{name, 0, 0, member.attached > 0, member.last_read_ms};
    for (std::size_t p = 0; p < kPartitions; ++p) {
      if (partitions_[p].owner != name) continue;
      ++state.partitions;
      if (in_flight(p)) ++state.in_flight;
    }
    out.push_back(std::move(state));
  }
  return out;
}

std::uint64_t ConsumerGroup::lowest_acked() const {
  return *std::min_element(acked_.begin(), acked_.end());
}

}  // namespace kite::server::events
