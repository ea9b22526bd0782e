// Group membership: which devices belong to which named group, for group sends. Thread-safe: one
// mutex, held for a map operation and never across I/O. The admin API and the workers (devices
// joining or leaving on their own, token sessions opening and closing) change it, sends and event
// readers read it.
//
// Rules: a group exists while it has members; a device belongs to at most kGroupsPerDevice groups
// and a group holds at most kMaxMembers devices (join answers which limit was hit); names are
// 1..128 bytes without control characters or '/'.
//
// Two kinds of membership:
//  - Lasting (join/leave): served from memory and written to the store (MessageStore::set_member,
//    with the store's durability), from which load() reads it at start: it survives restarts.
//    A change is recorded under the mutex, then written outside it by one thread at a time (the
//    writer takes every change recorded meanwhile, newest state per pair): readers never wait for
//    the disk, a joining worker never waits for another's write, and the store ends in the state
//    of the last change of each (group, device) however joins and leaves of it interleave.
//  - For one session (join_for_session/end_session): a token's groups. In memory only, tagged with
//    the session that joined them; they end with that session (a newer session of the same device
//    takes them over), so a later token without the group does not keep it. A lasting join of
//    the same pair makes it lasting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/message_store.h"

namespace kite::server {

class GroupDirectory {
 public:
  static constexpr std::size_t kMaxMembers = 1'000'000;

  enum class JoinResult { Joined, AlreadyMember, DeviceLimit, GroupLimit, InvalidName };

  // `store` (may be null: memory only) receives every lasting change and is read by load().
  explicit GroupDirectory(MessageStore* store = nullptr) : store_(store) {}

  static bool valid_name(std::string_view group);
  // Reads the membership kept in the store (at start); returns how many pairs it loaded.
  std::size_t load();

  JoinResult join(std::string_view group, std::string_view device);
  bool leave(std::string_view group, std::string_view device);  // false: was not a member
  // A membership for the session `session` (any id unique per session) only; never stored.
  JoinResult join_for_session(std::string_view group, std::string_view device,
                              std::uint64_t session);
  // Ends the memberships `session` joined for itself (not those a newer session took over).
  void end_session(std::string_view device, std::uint64_t session);

  // A node of a cluster: `observer` hears of every lasting change made here, once stored, so that
  // the other nodes apply it; apply_remote() applies one of theirs (in memory: it is stored).
  using Observer =
      std::function<void(std::string_view group, std::string_view device, bool member)>;
  void set_observer(Observer observer) { observer_ = std::move(observer); }  // before any join
  void apply_remote(std::string_view group, std::string_view device, bool member);
  // Makes the lasting memberships in memory those of the store (a node that may have missed
  // other nodes' changes: it was cut off from them). Session memberships stay, and so do pairs
  // this node changed and has not written yet. Returns the pairs added and removed.
  struct Resync {
    std::size_t added = 0, removed = 0;
  };
  Resync resync();

  // Up to `limit` members after `after` (byte order), for paging; the whole group with no limit.
  std::vector<std::string> members(std::string_view group, std::string_view after = {},
                                   std::size_t limit = static_cast<std::size_t>(-1)) const;
  std::size_t size(std::string_view group) const;
  bool is_member(std::string_view group, std::string_view device) const;
  std::vector<std::string> groups_of(std::string_view device) const;

 private:
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using Members = std::set<std::string, std::less<>>;
  template <typename Value>
  using ByName = std::unordered_map<std::string, Value, Hash, std::equal_to<>>;
  using SessionGroups = std::map<std::string, std::uint64_t, std::less<>>;  // group -> session

  // With mutex_ held:
  JoinResult add_locked(std::string_view group, std::string_view device);
  bool remove_locked(std::string_view group, std::string_view device);
  Observer observer_;
  // Clears a session tag; true if the pair was for a session only.
  bool untag_locked(std::string_view group, std::string_view device);
  void record_locked(std::string_view group, std::string_view device, bool member);
  // Without mutex_: writes the recorded changes, unless another thread is already writing.
  void write_recorded();

  MessageStore* const store_;
  mutable std::mutex mutex_;
  ByName<Members> groups_;         // group -> devices
  ByName<Members> device_groups_;  // device -> groups
  ByName<SessionGroups> session_;  // device -> groups it holds for one session only
  // Lasting changes not yet written: the newest state per (group, device).
  std::map<std::pair<std::string, std::string>, bool> unwritten_;
  bool writing_ = false;  // a thread is writing unwritten_ to the store
  // For resync(): pairs being written, and those written since a resync began (its read of the
  // store may be older than them).
  std::set<std::pair<std::string, std::string>> in_flight_, written_lately_;
  bool resyncing_ = false;
};

}  // namespace kite::server
