// The devices of a bulk send, handed out a slice at a time so that a send to a million devices
// spreads over many admin-loop turns instead of holding the loop (security review L11).
//
// Three sources:
//  - a list given in the call: as given;
//  - a group: its members in id order, read a page at a time, so a device that joins or leaves
//    while a long send is under way may or may not get the message;
//  - every device online: one registry part at a time, in no particular order; when no more
//    devices are online than a per-device answer lists, all at once and in id order.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/group_directory.h"
#include "core/registry.h"

namespace kite::server::api {

class BulkTargets {
 public:
  static BulkTargets of_list(std::vector<std::string> devices);
  static BulkTargets of_group(const GroupDirectory& groups, std::string group);
  static BulkTargets of_online(const Router& router);

  // How many devices the send addresses, as known at the start (exact for a list).
  std::size_t expected() const { return expected_; }
  // Up to `limit` (> 0) more devices, fewer only at the end; empty once all were handed out.
  std::vector<std::string> next(std::size_t limit);

 private:
  enum class Source { List, Group, Online };
  BulkTargets(Source source, std::size_t expected) : source_(source), expected_(expected) {}
  void load_online_parts(std::size_t wanted);

  Source source_;
  std::size_t expected_;
  const GroupDirectory* groups_ = nullptr;
  const Router* router_ = nullptr;
  std::string group_;
  std::string after_;                  // Group: the last member handed out
  std::size_t next_part_ = 0;          // Online: the next registry part to read
  std::vector<std::string> buffered_;  // List, Online: read, not all handed out yet
  std::size_t handed_out_ = 0;         // of buffered_
};

}  // namespace kite::server::api
