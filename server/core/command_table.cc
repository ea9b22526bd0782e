// The pending commands of one worker; see command_table.h.
#include "core/command_table.h"

#include <utility>
#include <vector>

namespace kite::server {

void CommandTable::add(std::uint64_t id, std::uint64_t connection, Millis deadline,
                       CommandDone done, std::shared_ptr<const CommandTicket> ticket) {
  auto deadline_at = deadlines_.emplace(deadline, id);
  pending_.emplace(id,
                   Pending{connection, deadline, std::move(done), std::move(ticket), deadline_at});
  by_connection_[connection].insert(id);
}

bool CommandTable::reply(std::uint64_t id, std::uint64_t connection, std::uint16_t status,
                         std::string payload) {
  auto it = pending_.find(id);
  if (it == pending_.end() || it->second.connection != connection) return false;
  finish(id, {CommandOutcome::Kind::Replied, status, std::move(payload), {}});
  return true;
}

std::size_t CommandTable::count(std::uint64_t connection) const {
  auto it = by_connection_.find(connection);
  return it == by_connection_.end() ? 0 : it->second.size();
}

void CommandTable::connection_closed(std::uint64_t connection) {
  auto it = by_connection_.find(connection);
  if (it == by_connection_.end()) return;
  const std::vector<std::uint64_t> ended(it->second.begin(), it->second.end());
  for (std::uint64_t id : ended)
    finish(id, {CommandOutcome::Kind::Offline, 0, {}, "the device disconnected before replying"});
}

void CommandTable::drop_abandoned(std::uint64_t connection) {
  auto it = by_connection_.find(connection);
  if (it == by_connection_.end()) return;
  std::vector<std::uint64_t> ended;
  for (std::uint64_t id : it->second) {
    const Pending& pending = pending_.at(id);
    if (pending.ticket && pending.ticket->abandoned.load(std::memory_order_relaxed))
      ended.push_back(id);
  }
  for (std::uint64_t id : ended)
    finish(id, {CommandOutcome::Kind::Abandoned, 0, {}, "the HTTP client went away"});
}

void CommandTable::expire(Millis now) {
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    const std::uint64_t id = deadlines_.begin()->second;  // finish() erases the entry
    if (!pending_.contains(id)) {  // an id added twice: never loop on its stray deadline
      deadlines_.erase(deadlines_.begin());
      continue;
    }
    finish(id, {CommandOutcome::Kind::TimedOut, 0, {}, "the device did not reply in time"});
  }
}

void CommandTable::finish(std::uint64_t id, CommandOutcome outcome) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  CommandDone done = std::move(it->second.done);
  deadlines_.erase(it->second.deadline_at);
  auto by = by_connection_.find(it->second.connection);
  by->second.erase(id);
  if (by->second.empty()) by_connection_.erase(by);
  pending_.erase(it);
  done(std::move(outcome));
}

}  // namespace kite::server
