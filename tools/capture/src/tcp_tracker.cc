#include "kite/capture/tcp_tracker.h"

namespace kite::capture {

void TcpTracker::add(const TcpSegment& segment, const SegmentContext& context,
                     std::vector<Event>& out) {
  Direction direction;
  Ports ports;
  if (segment.destination.port == server_port_) {
    direction = Direction::ToServer;
    ports = {segment.source, segment.destination};
  } else if (segment.source.port == server_port_) {
    direction = Direction::FromServer;
    ports = {segment.destination, segment.source};
  } else {
    ++other_port_segments_;
    return;
  }

  const bool syn = segment.has(tcp_flags::kSyn);
  const bool new_syn = syn && !segment.has(tcp_flags::kAck) && direction == Direction::ToServer;
  auto found = connections_.find(ports);
  if (found != connections_.end()) {
    TcpConnection& known = *found->second;
    const bool same_syn = known.client_isn() && *known.client_isn() == segment.seq;
    if (new_syn && !same_syn) {  // the ports start a new connection
      known.close("its ports were taken by a new connection", context, out);
    } else {
      known.add(segment, direction, context, out);  // ignored once it is closed
      return;
    }
  } else if (!syn && segment.payload.empty()) {
    return;  // a bare ACK, FIN or RST says nothing about a connection we have not seen
  }

  ConnectionKey key;
  key.id = next_id_++;
  key.client = ports.first;
  key.server = ports.second;
  auto connection = std::make_unique<TcpConnection>(key, max_out_of_order_);
  connection->add(segment, direction, context, out);
  connections_[ports] = std::move(connection);
}

void TcpTracker::finish(const SegmentContext& context, std::vector<Event>& out) {
  for (auto& [ports, connection] : connections_) connection->finish(context, out);
}

}  // namespace kite::capture
