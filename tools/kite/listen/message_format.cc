#include "listen/message_format.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <span>

#include "common/payload.h"
#include "flags/key_flags.h"
#include "kite/protocol/hex.h"

namespace kite::cli {

std::optional<MessageFormat> message_format_named(std::string_view name) {
  if (name == "text") return MessageFormat::Text;
  if (name == "json") return MessageFormat::Json;
  if (name == "hex") return MessageFormat::Hex;
  return std::nullopt;
}

std::string format_message(const Message& message, MessageFormat format) {
  std::string line;
  switch (format) {
    case MessageFormat::Text:
      line = message.payload;
      break;
    case MessageFormat::Hex:
      line = protocol::hex_encode(
          {reinterpret_cast<const std::uint8_t*>(message.payload.data()), message.payload.size()});
      break;
    case MessageFormat::Json: {
      nlohmann::json object{{"seq", message.seq},
                            {"topic", message.topic},
                            {"content_type", message.content_type},
                            {"message_id", message.message_id}};
      set_payload(object, message.payload);  // the admin API's rule: text, or base64url bytes
      // A topic that is not UTF-8 is shown with U+FFFD rather than failing the line.
      line = object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      break;
    }
  }
  line.push_back('\n');
  return line;
}

}  // namespace kite::cli
