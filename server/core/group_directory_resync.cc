// GroupDirectory::resync: a cluster node that was cut off from the other nodes' membership
// changes reads the memberships from the shared store again.
#include "core/group_directory.h"

namespace kite::server {

GroupDirectory::Resync GroupDirectory::resync() {
  Resync result;
  if (!store_) return result;
  {
    std::lock_guard lock(mutex_);
    resyncing_ = true;
    written_lately_ = in_flight_;
  }
  std::set<std::pair<std::string, std::string>> stored;  // read first: no lock across I/O
  store_->for_each_member([&](std::string_view group, std::string_view device) {
    if (valid_name(group)) stored.emplace(group, device);
  });
  std::lock_guard lock(mutex_);
  // A change of this node's not written yet, or written while the store was being read, is
  // newer than what was read: this node's state of that pair stands.
  const auto pending = [&](const std::pair<std::string, std::string>& pair) {
    return unwritten_.contains(pair) || in_flight_.contains(pair) || written_lately_.contains(pair);
  };
  for (const auto& pair : stored) {
    if (pending(pair)) continue;
    const JoinResult joined = add_locked(pair.first, pair.second);
    if (joined == JoinResult::Joined) ++result.added;
    // Stored, so lasting: a session that named the group too no longer ends it.
    if (joined == JoinResult::AlreadyMember) untag_locked(pair.first, pair.second);
  }
  std::vector<std::pair<std::string, std::string>> gone;
  for (const auto& [group, members] : groups_) {
    for (const auto& device : members) {
      std::pair<std::string, std::string> pair{group, device};
      if (stored.contains(pair) || pending(pair)) continue;
      const auto tagged = session_.find(device);
      if (tagged != session_.end() && tagged->second.contains(group)) continue;  // a session's
      gone.push_back(std::move(pair));
    }
  }
  for (const auto& [group, device] : gone)
    if (remove_locked(group, device)) ++result.removed;
  resyncing_ = false;
  written_lately_.clear();
  return result;
}

}  // namespace kite::server
