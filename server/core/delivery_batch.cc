#include "core/delivery_batch.h"

namespace kite::server {

void DeliveryBatch::add(const Delivery& d) {
  Item item{d.connection, d.seq, d.expires_at_ms, {}, {}};
  const std::string_view fields[5] = {d.message_id, d.topic, d.content_type, d.conflation_key,
                                      d.payload};
  for (int i = 0; i < 5; ++i) {
    item.offset[i] = static_cast<std::uint32_t>(arena_.size());
    item.length[i] = static_cast<std::uint32_t>(fields[i].size());
    arena_.append(fields[i]);
  }
  items_.push_back(item);
}

Delivery DeliveryBatch::view(const Item& item) const {
  const auto field = [&](int i) {
    return std::string_view(arena_).substr(item.offset[i], item.length[i]);
  };
  return {item.connection, item.seq, item.expires_at_ms, field(0),
          field(1),        field(2), field(3),           field(4)};
}

}  // namespace kite::server
