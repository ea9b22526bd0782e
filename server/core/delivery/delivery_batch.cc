#include "core/delivery/delivery_batch.h"

namespace kite::server {

void DeliveryBatch::add(const Delivery& d) {
  Item item{d.connection, d.seq, d.expires_at_ms, d.accepted_at_us, {}};
  const std::string_view fields[] = {d.message_id, d.topic, d.content_type, d.conflation_key,
                                     d.payload};
  arena_.add_all(fields, item.fields);
  items_.push_back(item);
}

Delivery DeliveryBatch::view(const Item& item) const {
  const auto field = [&](int i) { return arena_.get(item.fields[i]); };
  return {item.connection, item.seq, item.expires_at_ms, item.accepted_at_us,
          field(0),        field(1), field(2),           field(3),
          field(4)};
}

}  // namespace kite::server
