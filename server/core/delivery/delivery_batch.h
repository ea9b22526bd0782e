// QoS 1 messages just stored for connected devices, carried to the devices' worker in one task,
// so that each connection sends them without reading them back from the store.
//
// Rules: the strings of all messages live in one StringArena; a batch is built on one thread and
// read on another only after being handed over. Carrying is an optimisation, never the only path: a
// connection that cannot send a carried message as the next one in its queue reads the store
// instead.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/string_arena.h"

namespace kite::server {

struct Delivery {
  std::uint64_t connection = 0;  // the worker's connection id
  // The device's store seq; 0: no message carried, only "the store has new messages" (a batch
  // whose messages replaced or dropped others of the device must be read back in full).
  std::uint64_t seq = 0;
  std::uint64_t expires_at_ms = 0;
  std::int64_t accepted_at_us = 0;  // wall clock, when the store took it (delivery latency)
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
    std::int64_t accepted_at_us;
    StringArena::Slice fields[5];  // message id, topic, content type, conflation key, payload
  };
  Delivery view(const Item& item) const;

  StringArena arena_;
  std::vector<Item> items_;
};

}  // namespace kite::server
