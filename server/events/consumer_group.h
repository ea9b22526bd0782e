// ConsumerGroup: readers of the event log that share its events (GET /v1/events?consumer_group=):
// each event goes to one member, a device's events always to the same member while nothing of
// theirs is in flight, and what a member does not acknowledge in time goes to another.
//
// The model (Kafka's, at the scale of one log): devices hash into kPartitions partitions (FNV-1a
// of the id, stable across restarts and builds). Each partition has
//   - an owner: one live member, or none;
//   - `acked`: every event of the partition with id <= acked is handled (durable: saved by the
//     caller after acks, reloaded at start);
//   - `scanned`: every event of the partition with id <= scanned has been given to its owner (or
//     handled); above `acked` and up to it, the owner holds them;
//   - `last_given`: the newest event actually given; above `acked`, the partition has events in
//     flight.
// A member reads from the lowest `scanned` of its partitions; the log read's filter is
// wants(). A cumulative ack "through id X" moves `acked` of each partition the member owns to
// min(X, scanned). A partition with nothing in flight is caught up to `scanned` by itself.
//
// Rules it keeps:
//  - At least once: events are given again (to the owner, or to the next one) only from `acked`,
//    never skipped; an event is handled twice only if its member failed or was too slow to ack.
//  - Per-device order: a partition changes owner only when nothing of it is in flight (balance
//    after a member joins), or when its owner is gone or silent: then the events in flight go to
//    the new owner from `acked`, in order (the old one may still be handling them: documented).
//  - Liveness: a member is live while a reader of it is attached, and for member_timeout_ms
//    after its last read (long-polls come and go). A member holding events unacknowledged for
//    visibility_timeout_ms loses them: its partitions in flight go to another live member (or,
//    alone, are given to it again).
//  - Single-threaded (the admin loop); no I/O: saving the cursors is the caller's.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kite::server::events {

struct ConsumerGroupTimeouts {
  std::int64_t visibility_ms = 30'000;  // events held unacknowledged longer are given to another
  std::int64_t member_ms = 30'000;      // a member neither attached nor reading is gone after this
};

class ConsumerGroup {
 public:
  static constexpr std::size_t kPartitions = 64;
  using Cursors = std::array<std::uint64_t, kPartitions>;

  // A new group starting after `start` (its first reader's `after`), or one reloaded with its
  // saved cursors.
  ConsumerGroup(std::string name, std::uint64_t start, ConsumerGroupTimeouts timeouts = {});
  ConsumerGroup(std::string name, const Cursors& acked, ConsumerGroupTimeouts timeouts = {});

  static std::size_t partition_of(std::string_view device);

  // A reader of `member` starts (attach) or ends (detach); a long-poll answered counts as a read.
  void attach(const std::string& member, std::int64_t now_ms);
  void detach(const std::string& member, std::int64_t now_ms);

  // Where `member` reads from: after this id (nullopt: it owns no partition now).
  std::optional<std::uint64_t> read_after(const std::string& member) const;
  // The filter of that read: an event of one of the member's partitions, not given yet.
  bool wants(const std::string& member, std::uint64_t id, std::string_view device) const;
  // After the read: every event up to `through` was scanned, and `given` (ids, devices) went out.
  void given(const std::string& member, std::uint64_t through,
             std::span<const std::pair<std::uint64_t, std::string_view>> given,
             std::int64_t now_ms);
  // The member handled every event it was given up to `through`: the newest id now acknowledged
  // across its partitions (0 if it owns none).
  std::uint64_t ack(const std::string& member, std::uint64_t through, std::int64_t now_ms);
  // Whether any `acked` moved since the last call (the caller saves acked() then).
  bool take_changed() { return std::exchange(changed_, false); }

  // Drops gone members, takes events back from silent ones, balances the partitions over the
  // live members. Call on a timer and after attach/detach.
  void tick(std::int64_t now_ms);

  struct MemberState {
    std::string name;
    std::size_t partitions = 0, in_flight = 0;  // partitions owned, those with events in flight
    bool attached = false;
    std::int64_t last_read_ms = 0;
  };
  std::vector<MemberState> members() const;
  bool is_member(const std::string& member) const { return members_.contains(member); }
  const Cursors& acked() const { return acked_; }
  // Whether an event is acknowledged by the group (lag and oldest pending are counted with it).
  bool handled(std::uint64_t id, std::string_view device) const {
    return id <= acked_[partition_of(device)];
  }
  std::uint64_t lowest_acked() const;
  const std::string& name() const { return name_; }
  std::size_t redelivered() const { return redelivered_; }  // partitions taken back from members

  // The whole state as bytes, for a cluster whose nodes share the group (kept in Redis), and
  // back (nullopt: not such bytes). Attachments are a node's own and not kept: a node holding a
  // member's stream renews the member's last read instead (touch()), so a member whose node died
  // is gone after member_ms like any silent one.
  std::string encode() const;
  static std::optional<ConsumerGroup> decode(std::string name, std::string_view bytes,
                                             ConsumerGroupTimeouts timeouts);
  // A member read just now (a stream attached on this node, with nothing to read).
  void touch(const std::string& member, std::int64_t now_ms);
  // What `member` may have been given, and not acknowledged, is to be given again (a node that
  // cannot tell whether a read's state was saved): its partitions go back to `acked`.
  void take_back(const std::string& member);

 private:
  struct Member {
    int attached = 0;  // readers open now
    std::int64_t last_read_ms = 0;
    std::optional<std::int64_t> holding_since_ms;  // none: nothing in flight
  };
  struct Partition {
    std::string owner;  // "" = none
    std::uint64_t scanned = 0, last_given = 0;
  };

  bool in_flight(std::size_t p) const { return partitions_[p].last_given > acked_[p]; }
  bool holds_any(const std::string& member) const;
  void release(std::size_t p);  // back to `acked`, no owner
  void balance();
  std::size_t owned_by(const std::string& member) const;
  std::string fewest_but(const std::string& except) const;

  std::string name_;
  ConsumerGroupTimeouts timeouts_;
  Cursors acked_{};
  std::array<Partition, kPartitions> partitions_{};
  std::map<std::string, Member> members_;  // ordered: balancing is deterministic
  std::size_t redelivered_ = 0;
  bool changed_ = false;
};

}  // namespace kite::server::events
