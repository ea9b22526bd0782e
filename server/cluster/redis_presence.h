// A kited node's presence in a cluster, over Redis: which node holds each device, and a wake-up
// channel per node.
//
//   <p>presence:{<device>}   string   the id of the node whose connection is the device's newest
//   <p>node:<node>           string   the node's lease: renewed every second, lapses after 3 s
//   <p>groups                channel  'g'...: a group membership change made on a node
//   <p>all                   channel  'e'...: a send to every device, made on a node: each other
//                                     node sends it to the devices connected to it
//   <p>wake:<node>           channel  'w'...: devices whose queues got messages on another node;
//                                     "r" + device id: it connected to another node (takeover);
//                                     'q'...: a QoS 0 message for it; 'c'...: a command for
//                                     it; 'a'...: a command's outcome (forwarded_message.h)
//
// A send on any node stores the message in the shared store (store/redis/), then, for devices not
// connected on that node, reads their presence and PUBLISHes the device id on the holder's
// channel; the holder's subscriber thread hands it to Server::wake, and the device's connection
// reads its queue. Nothing is lost if a wake-up is: the message is in the store, and the device
// reads its queue whenever it (re)connects; a wake-up only makes delivery immediate.
//
// Takeover: a device that connects to node B while node A holds it replaces A's entry (SET ...
// GET tells B it was A's), and B publishes "r" + id to A; A closes its connection with goaway
// Replaced, unless the entry names A again by then (the device came back to A meanwhile).
//
// A node id is random per process start, so entries left by a node that died name a node that no
// longer listens: a wake-up for them reaches nobody, and the device's next connection, on any
// node, overwrites the entry. Whether a device is online elsewhere, and where a command goes,
// also asks for the holder's lease: a device of a dead node is offline 3 s after it died.
//
// Commands: the asking node keeps the caller's callback under an id, publishes the command to the
// holder, which runs it as its own (Server::send_command_here) and publishes the outcome back; a
// sweeper thread answers TimedOut for a command whose reply has not come within its timeout plus
// kReplyGrace (the holder died, or a message was lost).
//
// Thread-safety: online_here / offline_here / wake are called from any worker or the admin loop
// (each takes a pooled connection); the subscriber runs on its own thread between start() and
// stop().
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "cluster/forwarded_message.h"
#include "core/cluster_presence.h"
#include "store/redis/redis_connection.h"

namespace kite::server::cluster {

class RedisPresence final : public ClusterPresence {
 public:
  struct Handlers {
    std::function<void(std::string_view device)> wake;       // read its queue
    std::function<void(std::string_view device)> replaced;   // close it: it is on another node
    std::function<void(const ForwardedMessage&)> transient;  // send it if connected here
    // run it here; pass the outcome to reply()
    std::function<void(const ForwardedCommand&, CommandDone)> command;
    // another node changed a group's membership (stored already): apply it in memory
    std::function<void(const MembershipChange&)> membership;
    // subscribed again after a failure: changes published meanwhile were missed; read them
    std::function<void()> resubscribed;
    // another node was asked to send these to every device: send them to those connected here
    std::function<void(std::vector<EveryoneMessage>)> everyone;
  };
  static constexpr std::int64_t kReplyGrace = 2'000;  // ms

  // `lookup`: the sentinels that say where the master is, to follow a failover (or none).
  RedisPresence(common::RedisAddress address, std::string prefix, int timeout_ms,
                store::redis::MasterLookup lookup = {});
  ~RedisPresence() override;
  RedisPresence(const RedisPresence&) = delete;
  RedisPresence& operator=(const RedisPresence&) = delete;

  const std::string& node_id() const { return node_id_; }
  // Subscribes to this node's channel on a thread of its own; the handlers run there for each
  // message another node sent. Reconnects with back-off when Redis goes away.
  void start(Handlers handlers);
  void stop();

  bool online_here(std::string_view device, std::int64_t hello_ms) override;
  void offline_here(std::string_view device) override;
  void wake(std::span<const std::string_view> devices) override;
  void forward(std::span<const RemoteParcel> parcels, std::vector<bool>& forwarded) override;
  std::size_t to_everyone_elsewhere(std::span<const EveryoneMessage> messages) override;
  std::optional<std::string> holder(std::string_view device) override;
  // Tells the other nodes of a membership change made here (GroupDirectory's observer).
  void publish_membership(std::string_view group, std::string_view device, bool member);
  bool forward_command(std::string_view device, const std::string& name, const std::string& payload,
                       std::uint32_t timeout_ms, CommandDone done) override;

 private:
  std::string presence_key(std::string_view device) const;
  std::string hello_key(std::string_view device) const;  // its connection's Hello time
  std::string channel(std::string_view node) const { return prefix_ + "wake:" + std::string(node); }
  bool run(const std::vector<store::redis::Command>& commands, store::redis::Replies& replies,
           const char* event);
  void subscribe_loop();
  void on_message(std::string_view message);
  bool still_mine(std::string_view device);
  void run_command(const ForwardedCommand& command);
  void complete(const CommandReply& reply);
  void expire_commands_loop();
  void renew_lease();
  // The node holding each device ("" for none, or this node), in one round trip.
  bool holders(std::span<const std::string_view> devices, store::redis::Replies& replies);

  store::redis::RedisPool pool_;
  const std::string prefix_;
  const std::string node_id_;
  Handlers handlers_;
  struct Pending {
    CommandDone done;
    std::chrono::steady_clock::time_point deadline;
  };
  std::mutex pending_mutex_;
  std::condition_variable pending_wake_;                // stop() ends the sweeper's wait
  std::unordered_map<std::uint64_t, Pending> pending_;  // guarded by pending_mutex_
  std::uint64_t next_command_id_ = 1;                   // guarded by pending_mutex_
  std::thread expirer_;
  std::thread subscriber_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> subscriber_fd_{-1};  // shut down by stop() to end a blocking read
};

}  // namespace kite::server::cluster
