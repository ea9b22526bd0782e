// Connection, requests both ways: commands to the device and its replies, and the groups a
// device joins or leaves itself.
#include "core/connection.h"

#include <algorithm>

#include "common/log.h"
#include "core/byte_views.h"
#include "core/command_admission.h"
#include "core/worker.h"

namespace kite::server {

using protocol::Reason;
using protocol::reason_name;

void Connection::send_command(std::string_view name, std::string_view payload,
                              std::uint32_t timeout_ms, CommandDone done,
                              std::shared_ptr<const CommandTicket> ticket) {
  auto& commands = worker_.commands();
  if (auto busy = command_refusal(commands.count(id_), write_queue_bytes_, worker_.context()))
    return done(std::move(*busy));
  const std::uint64_t id = commands.next_id();
  auto status = lifecycle_.closing()
                    ? protocol::SendStatus::NotOpen
                    : session_.send_command({id, name, as_bytes(payload), timeout_ms}, now());
  if (status != protocol::SendStatus::Sent) {
    const bool offline = status == protocol::SendStatus::NotOpen;
    return done({offline ? CommandOutcome::Kind::Offline : CommandOutcome::Kind::Refused,
                 0,
                 {},
                 offline ? "the device is not connected"
                         : "the command does not fit the device's frame limit"});
  }
  auto& metrics = worker_.metrics();
  metrics.commands_sent.add();
  commands.add(
      id, id_, now() + timeout_ms,
      [&metrics, done = std::move(done)](CommandOutcome o) {
        using Kind = CommandOutcome::Kind;
        (o.kind == Kind::Replied    ? metrics.commands_replied
         : o.kind == Kind::TimedOut ? metrics.commands_timed_out
                                    : metrics.commands_failed)
            .add();
        done(std::move(o));
      },
      std::move(ticket));
  after_session_call();
}

void Connection::on_reply(const protocol::ReplyInfo& reply) {
  if (!worker_.commands().reply(reply.id, id_, reply.status, std::string(as_text(reply.payload)))) {
    KITE_LOG(debug, "command.late_reply", {{"device", session_.device_id()}, {"id", reply.id}});
  }
}

// A device joins or leaves groups itself (Subscribe / Unsubscribe): confirmed by an echo, or
// refused with an error naming the request; groups before a refused one stay joined. Each group
// named costs one uplink token (a store write each): a device flooding group changes is paused
// like one flooding publishes. The policy (device_group_policy.h) is checked for every group
// before any is applied.
void Connection::on_subscribe(std::uint64_t request_id, bool join,
                              std::span<const std::string_view> groups) {
  const auto refuse_request = [&](Reason reason, std::string_view why) {
    session_.send_error(reason, request_id, why, now());
    after_session_call();
  };
  if (service_) return refuse_request(Reason::UnexpectedMessage, "services do not join groups");
  charge_uplink(static_cast<std::uint32_t>(std::max<std::size_t>(groups.size(), 1)));
  const auto& policy = worker_.context().options.device_groups;
  for (std::string_view group : groups)
    if (auto why = policy.refusal(session_.device_id(), group); !why.empty())
      return refuse_request(Reason::UnexpectedMessage, why);
  auto& directory = *worker_.context().groups;
  std::vector<std::string> done;
  for (std::string_view group : groups) {
    if (!join) {
      directory.leave(group, session_.device_id());
      done.emplace_back(group);
      continue;
    }
    using Result = GroupDirectory::JoinResult;
    switch (directory.join(group, session_.device_id())) {
      case Result::Joined:
      case Result::AlreadyMember:
        done.emplace_back(group);
        continue;
      case Result::InvalidName:
        return refuse_request(Reason::LimitExceeded,
                              "a group name is 1-128 bytes without control characters or '/'");
      case Result::DeviceLimit:
        return refuse_request(Reason::LimitExceeded, "a device is in at most 256 groups");
      case Result::GroupLimit:
        return refuse_request(Reason::LimitExceeded, "the group is full");
    }
  }
  session_.confirm_subscribe(request_id, join, done, now());
  after_session_call();
}

void Connection::on_writable() {
  pump();
}

}  // namespace kite::server
