// The Command (server -> device, a remote procedure call) and its Reply (device -> server):
// built by the sender, checked and read by the receiver.
#pragma once

#include "body_check.h"
#include "kite/protocol/session_types.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

// Whether a command may be sent: ids start at 1, the name is within its limit.
bool command_fits(const CommandInfo& command);
flatbuffers::Offset<wire::Command> build_command(flatbuffers::FlatBufferBuilder& b,
                                                 const CommandInfo& command);
// The same rules on arrival: id 0 (InvalidId), then a name above its limit.
Refusal check_command(const wire::Command& command);
CommandInfo read_command(const wire::Command& command);  // views into the frame

flatbuffers::Offset<wire::Reply> build_reply(flatbuffers::FlatBufferBuilder& b,
                                             const ReplyInfo& reply);
ReplyInfo read_reply(const wire::Reply& reply);  // any id and status: the server matches them

}  // namespace kite::protocol
