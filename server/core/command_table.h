// Commands a worker has sent to its devices and is waiting on: each ends exactly once, with the
// device's reply, at its deadline, when its connection goes, or when its HTTP client goes.
//
// Rules:
//  - One table per worker, used only on that worker's thread (no locks).
//  - A reply counts only from the connection the command went to: a device that reconnected
//    elsewhere cannot answer a command its old connection never saw.
//  - `done` runs outside the table's structures (the entry is removed first), so it may send
//    further commands.
//  - Commands are indexed by connection too: counting them (the per-device cap) and ending
//    them when the connection closes cost O(commands of that connection), not of the worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>

namespace kite::server {

struct CommandOutcome {
  enum class Kind : std::uint8_t {
    Replied,    // status and payload are the device's
    TimedOut,   // no reply before the deadline
    Offline,    // the device was not connected, or went away before replying
    Refused,    // kited could not send it (too large for the device, session not open)
    Busy,       // a pending-command cap, or the device is not reading what it is sent
    Abandoned,  // the HTTP client that asked went away first
  };
  Kind kind = Kind::Offline;
  std::uint16_t status = 0;
  std::string payload;
  std::string detail;  // for people: why it did not get a reply
};

using CommandDone = std::function<void(CommandOutcome)>;

// Shared by a command and the HTTP request that asked for it: the admin loop sets `abandoned`
// when its client goes away, and the worker then ends the command (drop_abandoned()).
struct CommandTicket {
  std::atomic<bool> abandoned{false};
};

class CommandTable {
 public:
  using Millis = std::int64_t;

  // A fresh command id (never 0, unique in this process per worker prefix).
  std::uint64_t next_id() { return ++last_id_; }
  void add(std::uint64_t id, std::uint64_t connection, Millis deadline, CommandDone done,
           std::shared_ptr<const CommandTicket> ticket = {});
  // The device's reply; false (and nothing runs) if `id` is unknown or not `connection`'s.
  bool reply(std::uint64_t id, std::uint64_t connection, std::uint16_t status, std::string payload);
  // Ends every command of `connection` as Offline.
  void connection_closed(std::uint64_t connection);
  // Ends the commands of `connection` whose ticket is abandoned, as Abandoned.
  void drop_abandoned(std::uint64_t connection);
  // Ends every command whose deadline is <= now as TimedOut.
  void expire(Millis now);
  std::size_t size() const { return pending_.size(); }
  // Commands awaiting a reply on `connection`.
  std::size_t count(std::uint64_t connection) const;

 private:
  struct Pending {
    std::uint64_t connection;
    Millis deadline;
    CommandDone done;
    std::shared_ptr<const CommandTicket> ticket;  // may be null
    std::multimap<Millis, std::uint64_t>::iterator deadline_at;
  };
  void finish(std::uint64_t id, CommandOutcome outcome);

  std::uint64_t last_id_ = 0;
  std::unordered_map<std::uint64_t, Pending> pending_;
  std::unordered_map<std::uint64_t, std::unordered_set<std::uint64_t>> by_connection_;
  std::multimap<Millis, std::uint64_t> deadlines_;  // of pending commands only
};

}  // namespace kite::server
