#include "core/command_table.h"

#include <utility>
#include <vector>

namespace kite::server {

void CommandTable::add(std::uint64_t id, std::uint64_t connection, Millis deadline,
                       CommandDone done) {
  pending_.emplace(id, Pending{connection, deadline, std::move(done)});
  deadlines_.emplace(deadline, id);
}

bool CommandTable::reply(std::uint64_t id, std::uint64_t connection, std::uint16_t status,
                         std::string payload) {
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.connection != connection) return false;
  finish(id, {CommandOutcome::Kind::Replied, status, std::move(payload), {}});
  return true;
}

void CommandTable::connection_closed(std::uint64_t connection) {
  if (pending_.empty()) return;
  std::vector<std::uint64_t> ended;
  for (const auto& [id, pending] : pending_)
    if (pending.connection == connection) ended.push_back(id);
  for (std::uint64_t id : ended)
    finish(id, {CommandOutcome::Kind::Offline, 0, {}, "the device disconnected before replying"});
}

void CommandTable::expire(Millis now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const std::uint64_t id = deadlines_.begin()->second;
    deadlines_.erase(deadlines_.begin());
    if (pending_.contains(id))
      finish(id, {CommandOutcome::Kind::TimedOut, 0, {}, "the device did not reply in time"});
  }
}

void CommandTable::finish(std::uint64_t id, CommandOutcome outcome) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  CommandDone done = std::move(it->second.done);
  pending_.erase(it);
  done(std::move(outcome));
}

}  // namespace kite::server
