#include "cluster/redis_presence.h"

#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "common/log.h"
#include "common/log_limiter.h"
#include "store/random_ids.h"

namespace kite::server::cluster {
namespace {

using store::redis::Command;
using store::redis::RedisConnection;
using store::redis::Replies;
using store::redis::text_of;

// Deletes the presence entry (and its Hello time) only if it still names this node: a newer
// connection on another node must keep its entry.
constexpr const char* kDeleteIfMine =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1], KEYS[2]) end "
    "return 0";

// Takes the presence entry for this node (KEYS[1], ARGV[1]) with its connection's Hello time
// (KEYS[2], ARGV[2]) and answers the node it took it from (or ""); answers nil, taking nothing,
// when a live other node (lease key ARGV[3] .. node) holds a connection whose Hello came later.
constexpr const char* kTakeUnlessNewer =
    "local node = redis.call('GET', KEYS[1]) "
    "if node and node ~= ARGV[1] and redis.call('EXISTS', ARGV[3] .. node) == 1 and "
    "tonumber(redis.call('GET', KEYS[2]) or '0') > tonumber(ARGV[2]) then return false end "
    "redis.call('SET', KEYS[1], ARGV[1]) redis.call('SET', KEYS[2], ARGV[2]) "
    "return node or ''";

// The node holding the device, if its lease is alive: one round trip.
constexpr const char* kLiveHolder =
    "local node = redis.call('GET', KEYS[1]) "
    "if node and redis.call('EXISTS', ARGV[1] .. node) == 1 then return node end return false";

constexpr int kLeaseMs = 3'000;
constexpr auto kRenewEvery = std::chrono::seconds(1);

}  // namespace

RedisPresence::RedisPresence(common::RedisAddress address, std::string prefix, int timeout_ms,
                             store::redis::MasterLookup lookup)
    : pool_(std::move(address), timeout_ms, std::move(lookup)),
      prefix_(std::move(prefix)),
      node_id_(std::to_string(store::new_epoch())) {}

RedisPresence::~RedisPresence() {
  stop();
}

std::string RedisPresence::presence_key(std::string_view device) const {
  return prefix_ + "presence:{" + std::string(device) + "}";
}

std::string RedisPresence::hello_key(std::string_view device) const {
  return prefix_ + "presence-hello:{" + std::string(device) + "}";
}

bool RedisPresence::run(const std::vector<Command>& commands, Replies& replies, const char* event) {
  std::string error;
  auto lease = pool_.take(error);
  if (lease && lease->run(commands, replies, error)) return true;
  static log::Limiter limiter(20, 1000);
  if (auto suppressed = limiter.admit())
    KITE_LOG(
        warn, event,
        {{"redis", pool_.address().to_string()}, {"error", error}, {"suppressed", *suppressed}});
  return false;
}

bool RedisPresence::online_here(std::string_view device, std::int64_t hello_ms) {
  Replies replies;
  if (!run({{"EVAL", kTakeUnlessNewer, "2", presence_key(device), hello_key(device), node_id_,
             std::to_string(hello_ms), prefix_ + "node:"}},
           replies, "cluster.presence_failed"))
    return true;
  if (replies.front()->type == REDIS_REPLY_NIL) return false;
  const std::string_view previous = text_of(replies.front().get());
  if (previous.empty() || previous == node_id_) return true;
  Replies ignored;
  run({{"PUBLISH", channel(previous), "r" + std::string(device)}}, ignored,
      "cluster.presence_failed");
  return true;
}

void RedisPresence::offline_here(std::string_view device) {
  Replies replies;
  run({{"EVAL", kDeleteIfMine, "2", presence_key(device), hello_key(device), node_id_}}, replies,
      "cluster.presence_failed");
}

bool RedisPresence::holders(std::span<const std::string_view> devices, Replies& replies) {
  std::vector<Command> lookups;
  lookups.reserve(devices.size());
  for (std::string_view device : devices) lookups.push_back({"GET", presence_key(device)});
  return run(lookups, replies, "cluster.presence_failed");
}

// Two round trips for any number of devices: their presence entries, then one PUBLISH to each
// node that holds some of them, listing its devices.
void RedisPresence::wake(std::span<const std::string_view> devices) {
  Replies found;
  if (!holders(devices, found)) return;
  std::map<std::string_view, std::vector<std::string_view>> by_node;
  for (std::size_t i = 0; i < devices.size(); ++i) {
    const std::string_view node = text_of(found[i].get());
    if (!node.empty() && node != node_id_) by_node[node].push_back(devices[i]);
  }
  std::vector<Command> publishes;
  for (const auto& [node, woken] : by_node)
    if (std::string text = encode_wakeups(woken); !text.empty())
      publishes.push_back({"PUBLISH", channel(node), std::move(text)});
  Replies ignored;
  if (!publishes.empty()) run(publishes, ignored, "cluster.wake_failed");
}

// The same two round trips: each message goes once to each node holding some of its devices
// (a group send is encoded there once for all its members on that node).
void RedisPresence::forward(std::span<const RemoteParcel> parcels, std::vector<bool>& forwarded) {
  forwarded.assign(parcels.size(), false);
  std::vector<std::string_view> devices;
  devices.reserve(parcels.size());
  for (const RemoteParcel& parcel : parcels) devices.push_back(parcel.device);
  Replies found;
  if (!holders(devices, found)) return;
  // (node, message) -> the parcels that go there
  std::map<std::pair<std::string_view, const NewMessage*>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < parcels.size(); ++i) {
    const std::string_view node = text_of(found[i].get());
    if (!node.empty() && node != node_id_) groups[{node, parcels[i].message}].push_back(i);
  }
  std::vector<Command> publishes;
  std::vector<std::size_t> published;
  for (const auto& [where, members] : groups) {
    const NewMessage& m = *where.second;
    ForwardedMessage message{{}, m.topic, m.content_type, m.payload};
    for (std::size_t i : members) message.devices.push_back(parcels[i].device);
    std::string text = encode_forwarded(message);
    if (text.empty()) continue;
    publishes.push_back({"PUBLISH", channel(where.first), std::move(text)});
    published.insert(published.end(), members.begin(), members.end());
  }
  Replies ignored;
  if (publishes.empty() || !run(publishes, ignored, "cluster.forward_failed")) return;
  for (std::size_t i : published) forwarded[i] = true;
}

// One PUBLISH on the channel every node listens to: Redis hands it to each node once, whatever
// the number of nodes and devices, and answers how many subscribers got it (this node's own
// subscriber among them, which ignores its own messages).
std::size_t RedisPresence::to_everyone_elsewhere(std::span<const EveryoneMessage> messages) {
  std::string text = encode_everyone(node_id_, messages);
  Replies replies;
  if (text.empty() ||
      !run({{"PUBLISH", prefix_ + "all", std::move(text)}}, replies, "cluster.everyone_failed"))
    return 0;
  const redisReply* reply = replies.front().get();
  if (reply == nullptr || reply->type != REDIS_REPLY_INTEGER || reply->integer <= 0) return 0;
  const long long self = subscriber_fd_ >= 0 ? 1 : 0;
  return static_cast<std::size_t>(std::max(0LL, reply->integer - self));
}

std::optional<std::string> RedisPresence::holder(std::string_view device) {
  Replies found;
  if (!run({{"EVAL", kLiveHolder, "1", presence_key(device), prefix_ + "node:"}}, found,
           "cluster.presence_failed"))
    return std::nullopt;
  const std::string_view node = text_of(found.front().get());
  if (node.empty() || node == node_id_) return std::nullopt;
  return std::string(node);
}

void RedisPresence::publish_membership(std::string_view group, std::string_view device,
                                       bool member) {
  const std::string text = encode_membership({node_id_, group, device, member});
  Replies ignored;
  if (!text.empty())
    run({{"PUBLISH", prefix_ + "groups", text}}, ignored, "cluster.membership_failed");
}

void RedisPresence::renew_lease() {
  Replies ignored;
  run({{"SET", prefix_ + "node:" + node_id_, "1", "PX", std::to_string(kLeaseMs)}}, ignored,
      "cluster.lease_failed");
}

bool RedisPresence::forward_command(std::string_view device, const std::string& name,
                                    const std::string& payload, std::uint32_t timeout_ms,
                                    CommandDone done) {
  const std::optional<std::string> holding = holder(device);
  if (!holding) return false;
  const std::string& node = *holding;
  std::uint64_t id = 0;
  {
    std::lock_guard lock(pending_mutex_);
    id = next_command_id_++;
    pending_[id] = {std::move(done), std::chrono::steady_clock::now() +
                                         std::chrono::milliseconds(timeout_ms + kReplyGrace)};
  }
  Replies ignored;
  const std::string text = encode_command({id, timeout_ms, node_id_, device, name, payload});
  if (!text.empty() && run({{"PUBLISH", channel(node), text}}, ignored, "cluster.command_failed"))
    return true;
  std::lock_guard lock(pending_mutex_);  // not sent: the caller answers with its own copy
  pending_.erase(id);
  return false;
}

// On the holder: runs the command as its own, and publishes the outcome to the asking node.
void RedisPresence::run_command(const ForwardedCommand& command) {
  handlers_.command(command, [this, id = command.id,
                              origin = std::string(command.origin)](CommandOutcome outcome) {
    Replies ignored;
    const std::string text = encode_reply({id, static_cast<std::uint8_t>(outcome.kind),
                                           outcome.status, outcome.detail, outcome.payload});
    if (!text.empty()) run({{"PUBLISH", channel(origin), text}}, ignored, "cluster.command_failed");
  });
}

void RedisPresence::complete(const CommandReply& reply) {
  CommandDone done;
  {
    std::lock_guard lock(pending_mutex_);
    auto it = pending_.find(reply.id);
    if (it == pending_.end()) return;  // timed out already
    done = std::move(it->second.done);
    pending_.erase(it);
  }
  done({static_cast<CommandOutcome::Kind>(reply.kind), reply.status, std::string(reply.payload),
        std::string(reply.detail)});
}

// Every 200 ms: commands whose reply is overdue are answered TimedOut; at stop() every command
// still waiting is answered Offline. Every second, the node's lease is renewed.
void RedisPresence::expire_commands_loop() {
  std::unique_lock lock(pending_mutex_);
  auto renewed_at = std::chrono::steady_clock::time_point{};
  while (!stopping_) {
    if (std::chrono::steady_clock::now() - renewed_at >= kRenewEvery) {
      lock.unlock();
      renew_lease();
      lock.lock();
      renewed_at = std::chrono::steady_clock::now();
    }
    pending_wake_.wait_for(lock, std::chrono::milliseconds(200));
    const auto now = std::chrono::steady_clock::now();
    std::vector<CommandDone> overdue;
    for (auto it = pending_.begin(); it != pending_.end();) {
      if (!stopping_ && it->second.deadline > now) {
        ++it;
        continue;
      }
      overdue.push_back(std::move(it->second.done));
      it = pending_.erase(it);
    }
    lock.unlock();
    for (CommandDone& done : overdue)
      done({stopping_ ? CommandOutcome::Kind::Offline : CommandOutcome::Kind::TimedOut,
            0,
            {},
            "no reply from the kited node the device is connected to"});
    lock.lock();
  }
}

void RedisPresence::on_message(std::string_view message) {
  if (ForwardedMessage forwarded; decode_forwarded(message, forwarded))
    return handlers_.transient(forwarded);
  if (ForwardedCommand command; decode_command(message, command)) return run_command(command);
  if (CommandReply reply; decode_reply(message, reply)) return complete(reply);
  if (std::string origin; !message.empty() && message.front() == 'e') {
    std::vector<EveryoneMessage> messages;
    if (decode_everyone(message, origin, messages) && origin != node_id_ && handlers_.everyone)
      handlers_.everyone(std::move(messages));
    return;
  }
  if (MembershipChange change; decode_membership(message, change)) {
    if (change.origin != node_id_) handlers_.membership(change);
    return;
  }
  if (std::vector<std::string_view> woken; decode_wakeups(message, woken)) {
    for (std::string_view device : woken) handlers_.wake(device);
    return;
  }
  if (message.size() < 2) return;
  const std::string_view device = message.substr(1);
  if (message.front() == 'r' && !still_mine(device)) handlers_.replaced(device);
}

// Whether the presence entry names this node (again): a takeover notice that arrives after the
// device came back here must not close its new connection.
bool RedisPresence::still_mine(std::string_view device) {
  Replies replies;
  if (!run({{"GET", presence_key(device)}}, replies, "cluster.presence_failed")) return false;
  return text_of(replies.front().get()) == node_id_;
}

void RedisPresence::start(Handlers handlers) {
  handlers_ = std::move(handlers);
  renew_lease();  // before any device connects: its presence must name a live node
  subscriber_ = std::thread([this] { subscribe_loop(); });
  expirer_ = std::thread([this] { expire_commands_loop(); });
}

void RedisPresence::stop() {
  if (!subscriber_.joinable()) return;
  stopping_ = true;
  if (int fd = subscriber_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
  subscriber_.join();
  {
    std::lock_guard lock(pending_mutex_);  // so the sweeper cannot miss the wake-up
  }
  pending_wake_.notify_all();
  expirer_.join();
  Replies ignored;  // the lease goes with the node: its devices are offline at once
  run({{"DEL", prefix_ + "node:" + node_id_}}, ignored, "cluster.lease_failed");
}

// One subscribed connection at a time, read without a timeout (a quiet channel is normal);
// stop() shuts its socket down to end the read. After a failure: a back-off from 100 ms up to
// 5 s, and the wake-ups published meanwhile are lost (see the top of the header).
void RedisPresence::subscribe_loop() {
  int backoff_ms = 100;
  bool failed_before = false;  // a subscription ended: messages were missed until the next
  while (!stopping_) {
    std::string error;
    // From the pool, so that it follows a failover; never given back: it is left subscribed.
    auto connection = pool_.take(error);
    // Three channels, three confirmations: the last two arrive as the first reads below, and
    // are not "message"s.
    if (connection &&
        connection->command({"SUBSCRIBE", channel(node_id_), prefix_ + "groups", prefix_ + "all"},
                            error)) {
      connection->clear_timeout();
      subscriber_fd_ = connection->fd();
      if (stopping_) break;  // stop() may have come before the fd was published
      KITE_LOG(info, "cluster.subscribed", {{"node", node_id_}, {"channel", channel(node_id_)}});
      if (failed_before && handlers_.resubscribed) handlers_.resubscribed();
      backoff_ms = 100;
      while (!stopping_) {
        store::redis::Reply message = connection->read_reply(error);
        if (!message) break;
        if (message->type == REDIS_REPLY_ARRAY && message->elements == 3 &&
            text_of(message->element[0]) == "message")
          on_message(text_of(message->element[2]));
      }
      subscriber_fd_ = -1;
    }
    connection.discard();
    if (stopping_) break;
    failed_before = true;
    KITE_LOG(warn, "cluster.subscribe_failed", {{"node", node_id_}, {"error", error}});
    for (int waited = 0; waited < backoff_ms && !stopping_; waited += 50)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    backoff_ms = std::min(backoff_ms * 2, 5000);
  }
}

}  // namespace kite::server::cluster
