#include "command_body.h"

#include "fb_views.h"
#include "kite/protocol/limits.h"

namespace kite::protocol {

bool command_fits(const CommandInfo& command) {
  return command.id != 0 && command.name.size() <= limits::kCommandName;
}

flatbuffers::Offset<wire::Command> build_command(flatbuffers::FlatBufferBuilder& b,
                                                 const CommandInfo& command) {
  auto name = string_or_null(b, command.name);
  auto payload = bytes_or_null(b, command.payload);
  return wire::CreateCommand(b, command.id, name, payload, command.timeout_ms);
}

Refusal check_command(const wire::Command& command) {
  if (command.id() == 0) return {Reason::InvalidId, "command id 0"};
  if (length(command.name()) > limits::kCommandName)
    return {Reason::LimitExceeded, "command name too long"};
  return {};
}

CommandInfo read_command(const wire::Command& command) {
  return {command.id(), view(command.name()), view(command.payload()), command.timeout_ms()};
}

flatbuffers::Offset<wire::Reply> build_reply(flatbuffers::FlatBufferBuilder& b,
                                             const ReplyInfo& reply) {
  return wire::CreateReply(b, reply.id, reply.status, bytes_or_null(b, reply.payload));
}

ReplyInfo read_reply(const wire::Reply& reply) {
  return {reply.id(), reply.status(), view(reply.payload())};
}

}  // namespace kite::protocol
