// Group membership: which devices belong to which named group, for group sends. Thread-safe (one
// mutex, held for a map operation, never across I/O): the admin API and the workers (devices
// joining or leaving on their own) change it, sends read it.
//
// Rules: a group exists while it has members; a device belongs to at most kGroupsPerDevice groups
// and a group holds at most kMaxMembers devices (join answers which limit was hit); names are
// 1..128 bytes without control characters or '/'. Membership is served from memory and written
// through to the store (MessageStore::set_member, with the store's durability), from which it is
// loaded at start: it survives restarts with the store.
#pragma once

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/message_store.h"

namespace kite::server {

class GroupDirectory {
 public:
  static constexpr std::size_t kMaxMembers = 1'000'000;

  enum class JoinResult { Joined, AlreadyMember, DeviceLimit, GroupLimit, InvalidName };

  // `store` (may be null: memory only) receives every change and is read by load().
  explicit GroupDirectory(MessageStore* store = nullptr) : store_(store) {}

  static bool valid_name(std::string_view group);
  // Reads the membership kept in the store (at start); returns how many pairs it loaded.
  std::size_t load();

  JoinResult join(std::string_view group, std::string_view device);
  bool leave(std::string_view group, std::string_view device);  // false: was not a member
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

  JoinResult add_locked(std::string_view group, std::string_view device);

  MessageStore* const store_;
  mutable std::mutex mutex_;  // also orders the store writes like the changes they record
  std::unordered_map<std::string, Members, Hash, std::equal_to<>> groups_;
  std::unordered_map<std::string, Members, Hash, std::equal_to<>> device_groups_;
};

}  // namespace kite::server
