// Fuzzes the consumer group state a cluster keeps in Redis (ConsumerGroup::decode,
// server/events/consumer_group_state.cc): bytes another node (or another version, or damage)
// left there.
//
// Checked: no crash (ASan/UBSan); a decoded group encodes to bytes that decode again to the same
// encoding (decode normalises, encode is stable); its rules hold through the operations a node
// runs on it (attach, a read, an ack, a tick), and what they leave still decodes.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "events/consumer_group.h"
#include "fuzz_check.h"

using kite::server::events::ConsumerGroup;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto group = ConsumerGroup::decode("g", bytes, {1000, 1000});
  if (!group) return 0;
  const std::string encoded = group->encode();
  auto again = ConsumerGroup::decode("g", encoded, {1000, 1000});
  KITE_FUZZ_CHECK(again && again->encode() == encoded);

  // A node's turn on it: a member joins, reads ten events of two devices, acks, time passes.
  group->attach("fuzz", 1);
  if (const auto after = group->read_after("fuzz")) {
    std::vector<std::pair<std::uint64_t, std::string_view>> given;
    for (std::uint64_t id = *after + 1; id <= *after + 10 && id > *after; ++id) {
      const std::string_view device = id % 2 ? "device-a" : "device-b";
      if (group->wants("fuzz", id, device)) given.emplace_back(id, device);
    }
    group->given("fuzz", *after + 10 > *after ? *after + 10 : *after, given, 2);
    group->ack("fuzz", *after + 5 > *after ? *after + 5 : *after, 3);
  }
  group->tick(5000);
  KITE_FUZZ_CHECK(ConsumerGroup::decode("g", group->encode(), {1000, 1000}).has_value());
  return 0;
}
