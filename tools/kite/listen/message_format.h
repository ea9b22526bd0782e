// How `kite listen` prints a message: one line per message, in the --format asked for, so that
// a pipe (jq, grep, xxd -r -p) can take the output line by line.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kite/client.h"

namespace kite::cli {

enum class MessageFormat {
  Text,  // the payload as it is (a payload with newlines spans several lines)
  Json,  // {"seq","topic","content_type","message_id","payload"} ("payload_base64" if not UTF-8)
  Hex,   // the payload in lower-case hex
};

// "text", "json" or "hex"; nullopt for anything else.
std::optional<MessageFormat> message_format_named(std::string_view name);

// The message as one line, '\n' included.
std::string format_message(const Message& message, MessageFormat format);

}  // namespace kite::cli
