// ConsumerGroup: its state as bytes, for the nodes of a cluster that share one group.
//
//   u8 version (1), u64 redelivered, then per partition: u64 acked, scanned, last_given and the
//   owner (u16 length + bytes); then u32 members, each: name (u16 length + bytes), i64 last read,
//   u8 holding, i64 holding since. Little-endian, fixed width: a few KB a group.
#include <cstring>

#include "events/consumer_group.h"

namespace kite::server::events {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMaxName = 1024;

void put_u64(std::string& out, std::uint64_t value) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(value >> (8 * i) & 0xff));
}

void put_text(std::string& out, std::string_view text) {
  out.push_back(static_cast<char>(text.size() & 0xff));
  out.push_back(static_cast<char>(text.size() >> 8 & 0xff));
  out.append(text);
}

// Reads from the front of `in`; every get fails (false) at the end instead of reading past it.
struct Reader {
  std::string_view in;
  bool ok = true;

  std::uint64_t u64() {
    if (in.size() < 8) return fail();
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
      value |= std::uint64_t{static_cast<unsigned char>(in[i])} << (8 * i);
    in.remove_prefix(8);
    return value;
  }
  std::uint8_t u8() {
    if (in.empty()) return static_cast<std::uint8_t>(fail());
    const auto value = static_cast<std::uint8_t>(in[0]);
    in.remove_prefix(1);
    return value;
  }
  std::string text() {
    const std::size_t size = u8() | std::size_t{u8()} << 8;
    if (!ok || size > in.size() || size > kMaxName) return fail(), std::string();
    std::string value(in.substr(0, size));
    in.remove_prefix(size);
    return value;
  }
  std::uint64_t fail() {
    ok = false;
    in = {};
    return 0;
  }
};

}  // namespace

std::string ConsumerGroup::encode() const {
  std::string out;
  out.reserve(1 + 8 + kPartitions * 26 + members_.size() * 32);
  out.push_back(static_cast<char>(kVersion));
  put_u64(out, redelivered_);
  for (std::size_t p = 0; p < kPartitions; ++p) {
    put_u64(out, acked_[p]);
    put_u64(out, partitions_[p].scanned);
    put_u64(out, partitions_[p].last_given);
    put_text(out, partitions_[p].owner);
  }
  put_u64(out, members_.size());
  for (const auto& [name, member] : members_) {
    put_text(out, name);
    put_u64(out, static_cast<std::uint64_t>(member.last_read_ms));
    out.push_back(member.holding_since_ms ? 1 : 0);
    put_u64(out, static_cast<std::uint64_t>(member.holding_since_ms.value_or(0)));
  }
  return out;
}

std::optional<ConsumerGroup> ConsumerGroup::decode(std::string name, std::string_view bytes,
                                                   ConsumerGroupTimeouts timeouts) {
  Reader in{bytes};
  if (in.u8() != kVersion) return std::nullopt;
  ConsumerGroup group(std::move(name), 0, timeouts);
  group.redelivered_ = in.u64();
  for (std::size_t p = 0; p < kPartitions; ++p) {
    group.acked_[p] = in.u64();
    group.partitions_[p].scanned = in.u64();
    group.partitions_[p].last_given = in.u64();
    group.partitions_[p].owner = in.text();
  }
  const std::uint64_t members = in.u64();
  for (std::uint64_t i = 0; in.ok && i < members; ++i) {
    std::string member = in.text();
    Member& state = group.members_[member];
    state.last_read_ms = static_cast<std::int64_t>(in.u64());
    const bool holding = in.u8() != 0;
    const auto since = static_cast<std::int64_t>(in.u64());
    if (holding) state.holding_since_ms = since;
  }
  if (!in.ok || !in.in.empty()) return std::nullopt;
  // An owner that is not a member, or marks out of order, would break the rules the group keeps.
  for (std::size_t p = 0; p < kPartitions; ++p) {
    const Partition& partition = group.partitions_[p];
    if (!partition.owner.empty() && !group.members_.contains(partition.owner)) return std::nullopt;
    if (partition.scanned < group.acked_[p] || partition.last_given > partition.scanned)
      return std::nullopt;
  }
  return group;
}

void ConsumerGroup::touch(const std::string& member, std::int64_t now_ms) {
  if (auto it = members_.find(member); it != members_.end()) it->second.last_read_ms = now_ms;
}

void ConsumerGroup::take_back(const std::string& member) {
  for (std::size_t p = 0; p < kPartitions; ++p) {
    Partition& partition = partitions_[p];
    if (partition.owner != member) continue;
    if (partition.scanned > acked_[p]) ++redelivered_;
    partition.scanned = partition.last_given = acked_[p];
  }
  if (auto it = members_.find(member); it != members_.end()) it->second.holding_since_ms.reset();
}

}  // namespace kite::server::events
