// Group membership: lasting and per-session memberships, and the store writes made outside the
// lock (the rules are in group_directory.h).
#include "core/group_directory.h"

#include "kite/protocol/limits.h"

namespace kite::server {

bool GroupDirectory::valid_name(std::string_view group) {
  if (group.empty() || group.size() > protocol::limits::kGroupName) return false;
  for (char c : group)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '/') return false;
  return true;
}

std::size_t GroupDirectory::load() {
  if (!store_) return 0;
  std::vector<std::pair<std::string, std::string>> stored;  // read first: no lock across I/O
  store_->for_each_member([&](std::string_view group, std::string_view device) {
    if (valid_name(group)) stored.emplace_back(group, device);
  });
  std::size_t loaded = 0;
  std::lock_guard lock(mutex_);
  for (const auto& [group, device] : stored)
    if (add_locked(group, device) == JoinResult::Joined) ++loaded;
  return loaded;
}

GroupDirectory::JoinResult GroupDirectory::join(std::string_view group, std::string_view device) {
  if (!valid_name(group)) return JoinResult::InvalidName;
  JoinResult result;
  {
    std::lock_guard lock(mutex_);
    result = add_locked(group, device);
    if (result == JoinResult::AlreadyMember && untag_locked(group, device))
      result = JoinResult::Joined;  // it was for a session only: now it lasts
    if (result == JoinResult::Joined) record_locked(group, device, true);
  }
  if (result == JoinResult::Joined) {
    write_recorded();
    if (observer_) observer_(group, device, true);
  }
  return result;
}

void GroupDirectory::apply_remote(std::string_view group, std::string_view device, bool member) {
  if (!valid_name(group)) return;
  std::lock_guard lock(mutex_);
  if (member) {
    add_locked(group, device);  // a cap met here leaves it out here only
    untag_locked(group, device);
  } else if (remove_locked(group, device)) {
    untag_locked(group, device);
  }
}

bool GroupDirectory::leave(std::string_view group, std::string_view device) {
  {
    std::lock_guard lock(mutex_);
    if (!remove_locked(group, device)) return false;
    if (untag_locked(group, device)) return true;  // never stored: nothing to write
    record_locked(group, device, false);
  }
  write_recorded();
  if (observer_) observer_(group, device, false);
  return true;
}

GroupDirectory::JoinResult GroupDirectory::join_for_session(std::string_view group,
                                                            std::string_view device,
                                                            std::uint64_t session) {
  if (!valid_name(group)) return JoinResult::InvalidName;
  std::lock_guard lock(mutex_);
  auto tagged = session_.find(device);
  if (tagged != session_.end()) {
    if (auto it = tagged->second.find(group); it != tagged->second.end()) {
      it->second = session;  // held for an older session of this device: this one takes it over
      return JoinResult::AlreadyMember;
    }
  }
  const JoinResult result = add_locked(group, device);
  if (result != JoinResult::Joined) return result;  // a lasting member stays one
  if (tagged == session_.end())
    tagged = session_.emplace(std::string(device), SessionGroups{}).first;
  tagged->second.emplace(std::string(group), session);
  return result;
}

void GroupDirectory::end_session(std::string_view device, std::uint64_t session) {
  std::lock_guard lock(mutex_);
  auto tagged = session_.find(device);
  if (tagged == session_.end()) return;
  for (auto it = tagged->second.begin(); it != tagged->second.end();) {
    if (it->second != session) {
      ++it;
      continue;
    }
    remove_locked(it->first, device);
    it = tagged->second.erase(it);
  }
  if (tagged->second.empty()) session_.erase(tagged);
}

GroupDirectory::JoinResult GroupDirectory::add_locked(std::string_view group,
                                                      std::string_view device) {
  auto groups_it = device_groups_.find(device);
  if (groups_it != device_groups_.end() && groups_it->second.contains(group))
    return JoinResult::AlreadyMember;
  if (groups_it != device_groups_.end() &&
      groups_it->second.size() >= protocol::limits::kGroupsPerDevice)
    return JoinResult::DeviceLimit;
  auto members_it = groups_.find(group);
  if (members_it != groups_.end() && members_it->second.size() >= kMaxMembers)
    return JoinResult::GroupLimit;
  if (members_it == groups_.end())
    members_it = groups_.emplace(std::string(group), Members{}).first;
  members_it->second.emplace(device);
  if (groups_it == device_groups_.end())
    groups_it = device_groups_.emplace(std::string(device), Members{}).first;
  groups_it->second.emplace(group);
  return JoinResult::Joined;
}

bool GroupDirectory::remove_locked(std::string_view group, std::string_view device) {
  auto members_it = groups_.find(group);
  if (members_it == groups_.end()) return false;
  auto member = members_it->second.find(device);
  if (member == members_it->second.end()) return false;
  members_it->second.erase(member);
  if (members_it->second.empty()) groups_.erase(members_it);
  if (auto groups_it = device_groups_.find(device); groups_it != device_groups_.end()) {
    if (auto g = groups_it->second.find(group); g != groups_it->second.end())
      groups_it->second.erase(g);
    if (groups_it->second.empty()) device_groups_.erase(groups_it);
  }
  return true;
}

bool GroupDirectory::untag_locked(std::string_view group, std::string_view device) {
  auto tagged = session_.find(device);
  if (tagged == session_.end()) return false;
  auto it = tagged->second.find(group);
  if (it == tagged->second.end()) return false;
  tagged->second.erase(it);
  if (tagged->second.empty()) session_.erase(tagged);
  return true;
}

void GroupDirectory::record_locked(std::string_view group, std::string_view device, bool member) {
  if (store_) unwritten_[{std::string(group), std::string(device)}] = member;
}

void GroupDirectory::write_recorded() {
  if (!store_) return;
  std::unique_lock lock(mutex_);
  if (writing_) return;  // that thread writes this change too, after what it is writing now
  writing_ = true;
  while (!unwritten_.empty()) {
    auto batch = std::exchange(unwritten_, {});
    for (const auto& entry : batch) in_flight_.insert(entry.first);
    lock.unlock();
    for (const auto& [pair, member] : batch) store_->set_member(pair.first, pair.second, member);
    lock.lock();
    for (const auto& entry : batch) {
      in_flight_.erase(entry.first);
      if (resyncing_) written_lately_.insert(entry.first);  // resync() may have read before it
    }
  }
  writing_ = false;
}

std::vector<std::string> GroupDirectory::members(std::string_view group, std::string_view after,
                                                 std::size_t limit) const {
  std::vector<std::string> out;
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group);
  if (it == groups_.end()) return out;
  for (auto m = it->second.upper_bound(after); m != it->second.end() && out.size() < limit; ++m)
    out.push_back(*m);
  return out;
}

bool GroupDirectory::is_member(std::string_view group, std::string_view device) const {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group);
  return it != groups_.end() && it->second.contains(device);
}

std::size_t GroupDirectory::size(std::string_view group) const {
  std::lock_guard lock(mutex_);
  auto it = groups_.find(group);
  return it == groups_.end() ? 0 : it->second.size();
}

std::vector<std::string> GroupDirectory::groups_of(std::string_view device) const {
  std::lock_guard lock(mutex_);
  auto it = device_groups_.find(device);
  if (it == device_groups_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

}  // namespace kite::server
