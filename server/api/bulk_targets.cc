#include "api/bulk_targets.h"

#include <algorithm>
#include <iterator>

#include "api/bulk_request.h"

namespace kite::server::api {

BulkTargets BulkTargets::of_list(std::vector<std::string> devices) {
  BulkTargets targets(Source::List, devices.size());
  targets.buffered_ = std::move(devices);
  return targets;
}

BulkTargets BulkTargets::of_group(const GroupDirectory& groups, std::string group) {
  BulkTargets targets(Source::Group, groups.size(group));
  targets.groups_ = &groups;
  targets.group_ = std::move(group);
  return targets;
}

BulkTargets BulkTargets::of_online(const Router& router) {
  BulkTargets targets(Source::Online, router.online());
  targets.router_ = &router;
  // Few enough to answer per device: read them all now, so that the answer lists them in id
  // order (sorting 10,000 ids costs well under a millisecond).
  if (targets.expected_ <= kMaxDetailedTargets) {
    targets.load_online_parts(static_cast<std::size_t>(-1));
    std::sort(targets.buffered_.begin(), targets.buffered_.end());
  }
  return targets;
}

void BulkTargets::load_online_parts(std::size_t wanted) {
  while (buffered_.size() - handed_out_ < wanted && next_part_ < router_->parts())
    router_->append_part(next_part_++, buffered_);
}

std::vector<std::string> BulkTargets::next(std::size_t limit) {
  if (source_ == Source::Group) {
    auto page = groups_->members(group_, after_, limit);
    if (!page.empty()) after_ = page.back();
    return page;
  }
  if (source_ == Source::Online) {
    // Drops what was handed out before reading more: the buffer stays about one part long.
    buffered_.erase(buffered_.begin(),
                    buffered_.begin() + static_cast<std::ptrdiff_t>(handed_out_));
    handed_out_ = 0;
    load_online_parts(limit);
  }
  const std::size_t count = std::min(limit, buffered_.size() - handed_out_);
  const auto first = buffered_.begin() + static_cast<std::ptrdiff_t>(handed_out_);
  std::vector<std::string> slice(
      std::make_move_iterator(first),
      std::make_move_iterator(first + static_cast<std::ptrdiff_t>(count)));
  handed_out_ += count;
  return slice;
}

}  // namespace kite::server::api
