// Fuzzes what one kited node sends another over Redis (server/cluster/forwarded_message.h): QoS 0
// messages, sends to every device, commands, command outcomes, wake-ups and membership changes;
// the input is the channel message, given to each decoder.
//
// Checked: no crash (ASan/UBSan); at most one decoder accepts it; a decoded message has its
// required fields and views inside the input, and encoding it again gives the input back byte
// for byte; a refused input leaves the output alone.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/forwarded_message.h"
#include "fuzz_check.h"

using kite::server::cluster::CommandReply;
using kite::server::cluster::ForwardedCommand;
using kite::server::cluster::ForwardedMessage;
using kite::server::cluster::MembershipChange;

namespace {

bool inside(std::string_view part, std::string_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace cluster = kite::server::cluster;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  int accepted = 0;
  ForwardedMessage message;
  message.devices = {"untouched"};
  if (cluster::decode_forwarded(text, message)) {
    ++accepted;
    KITE_FUZZ_CHECK(!message.devices.empty());
    for (std::string_view device : message.devices)
      KITE_FUZZ_CHECK(!device.empty() && inside(device, text));
    KITE_FUZZ_CHECK(inside(message.topic, text) && inside(message.content_type, text) &&
                    inside(message.payload, text));
    KITE_FUZZ_CHECK(cluster::encode_forwarded(message) == text);
  } else {
    KITE_FUZZ_CHECK(message.devices.size() == 1 && message.devices[0] == "untouched");
  }
  std::vector<std::string_view> woken;
  if (cluster::decode_wakeups(text, woken)) {
    ++accepted;
    KITE_FUZZ_CHECK(!woken.empty());
    for (std::string_view device : woken) KITE_FUZZ_CHECK(!device.empty() && inside(device, text));
    KITE_FUZZ_CHECK(cluster::encode_wakeups(woken) == text);
  } else {
    KITE_FUZZ_CHECK(woken.empty());
  }
  ForwardedCommand command;
  if (cluster::decode_command(text, command)) {
    ++accepted;
    KITE_FUZZ_CHECK(!command.origin.empty() && !command.device.empty());
    KITE_FUZZ_CHECK(inside(command.origin, text) && inside(command.name, text) &&
                    inside(command.payload, text));
    KITE_FUZZ_CHECK(cluster::encode_command(command) == text);
  } else {
    KITE_FUZZ_CHECK(command.id == 0 && command.device.empty());
  }
  CommandReply reply;
  if (cluster::decode_reply(text, reply)) {
    ++accepted;
    KITE_FUZZ_CHECK(reply.kind <= CommandReply::kMaxKind);
    KITE_FUZZ_CHECK(inside(reply.detail, text) && inside(reply.payload, text));
    KITE_FUZZ_CHECK(cluster::encode_reply(reply) == text);
  } else {
    KITE_FUZZ_CHECK(reply.id == 0 && reply.payload.empty());
  }
  MembershipChange change;
  if (cluster::decode_membership(text, change)) {
    ++accepted;
    KITE_FUZZ_CHECK(!change.origin.empty() && !change.group.empty() && !change.device.empty());
    KITE_FUZZ_CHECK(inside(change.origin, text) && inside(change.group, text) &&
                    inside(change.device, text));
    KITE_FUZZ_CHECK(cluster::encode_membership(change) == text);
  } else {
    KITE_FUZZ_CHECK(change.origin.empty() && change.device.empty());
  }
  std::string origin = "untouched";
  std::vector<kite::server::EveryoneMessage> everyone;
  if (cluster::decode_everyone(text, origin, everyone)) {
    ++accepted;
    KITE_FUZZ_CHECK(!origin.empty() && !everyone.empty());
    for (const auto& m : everyone) KITE_FUZZ_CHECK(m.qos <= 1);
    KITE_FUZZ_CHECK(cluster::encode_everyone(origin, everyone) == text);
  } else {
    KITE_FUZZ_CHECK(origin == "untouched" && everyone.empty());
  }
  KITE_FUZZ_CHECK(accepted <= 1);
  return 0;
}
