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
  std::size_t loaded = 0;
  std::lock_guard lock(mutex_);
  store_->for_each_member([&](std::string_view group, std::string_view device) {
    if (valid_name(group) && add_locked(group, device) == JoinResult::Joined) ++loaded;
  });
  return loaded;
}

GroupDirectory::JoinResult GroupDirectory::join(std::string_view group, std::string_view device) {
  if (!valid_name(group)) return JoinResult::InvalidName;
  std::lock_guard lock(mutex_);
  const JoinResult result = add_locked(group, device);
  if (result == JoinResult::Joined && store_) store_->set_member(group, device, true);
  return result;
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

bool GroupDirectory::leave(std::string_view group, std::string_view device) {
  std::lock_guard lock(mutex_);
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
  if (store_) store_->set_member(group, device, false);
  return true;
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
