// QoS 1 messages just stored for connected devices, carried to the devices' worker in one task,
// so that each connection sends them without reading them back from the store.
//
// Rules: the strings of all messages live in one arena (one or two allocations per batch, not
// per message); a batch is built on one thread and read on another only after being handed over.
// Carrying is an optimisation, never the only path: a connection that cannot send a carried
// message as the next one in its queue reads the store instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kite::server {

struct Delivery {
  std::uint64_t connection = 0;  // the worker's connection id
  std::uint64_t seq = 0;         // the device's store seq
  std::uint64_t expires_at_ms = 0;
  std::string_view message_id, topic, content_type, conflation_key, payload;
};

class DeliveryBatch {
 public:
  void add(const Delivery& delivery);
  template <typename Visit>
  void for_each(Visit&& visit) const {
    for (const Item& item : items_) visit(view(item));
  }
  bool empty() const { return items_.empty(); }
  void clear() {
    items_.clear();
    arena_.clear();
  }

 private:
  struct Item {
    std::uint64_t connection, seq, expires_at_ms;
    std::uint32_t offset[5], length[5];
  };
  Delivery view(const Item& item) const;

  std::string arena_;
  std::vector<Item> items_;
};

}  // namespace kite::server
