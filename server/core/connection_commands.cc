// Connection, commands: sent to the device, and its replies matched to them (command_table.h).
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

}  // namespace kite::server
