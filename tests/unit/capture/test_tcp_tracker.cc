// TcpTracker and TcpConnection: a connection's life (SYN, frames both ways, FIN or RST) told as
// events; out-of-order and retransmitted segments giving the same frames; a connection already
// running when the capture began; a hole that never fills; a bad frame header; ports reused.
#include <doctest/doctest.h>

#include <string>

#include "capture_builders.h"
#include "kite/capture/packet_parser.h"
#include "kite/capture/tcp_tracker.h"

namespace kite::capture::test {
namespace {

constexpr std::uint16_t kPort = 7000;

// One TCP connection's segments, by stream offset in each direction.
struct Conversation {
  Endpoint device = v4(127, 0, 0, 1, 45678);
  Endpoint server = v4(127, 0, 0, 1, kPort);
  std::uint32_t device_isn = 1000;
  std::uint32_t server_isn = 0xfffffff0;  // wraps around soon after the start

  Segment syn() const { return {device, server, device_isn, 0, kSyn, {}}; }
  Segment syn_ack() const { return {server, device, server_isn, device_isn + 1, kSyn | kAck, {}}; }
  Segment up(std::uint32_t offset, Bytes bytes, std::uint8_t flags = kAck | kPsh) const {
    return {device, server, device_isn + 1 + offset, server_isn + 1, flags, std::move(bytes)};
  }
  Segment down(std::uint32_t offset, Bytes bytes, std::uint8_t flags = kAck | kPsh) const {
    return {server, device, server_isn + 1 + offset, device_isn + 1, flags, std::move(bytes)};
  }
};

// Feeds segments (as real IPv4 packets, through the parser) and keeps the events.
struct Feeder {
  TcpTracker tracker{kPort, 4096};
  std::vector<Event> events;
  std::int64_t time = 1'000'000'000;

  void operator()(const Segment& s) {
    const Bytes packet = ipv4(s);
    const ParsedPacket parsed = parse_packet(101, packet);
    REQUIRE(parsed.skip == Skip::None);
    tracker.add(parsed.segment, {time += 1000, 0}, events);
  }
  void finish() { tracker.finish({time, 0}, events); }

  std::vector<Bytes> frames(Direction d) const {
    std::vector<Bytes> out;
    for (const auto& e : events)
      if (e.kind == EventKind::Frame && e.direction == d) out.push_back(e.frame);
    return out;
  }
  std::vector<const Event*> of_kind(EventKind kind) const {
    std::vector<const Event*> out;
    for (const auto& e : events)
      if (e.kind == kind) out.push_back(&e);
    return out;
  }
};

Bytes concat(const std::vector<Bytes>& parts) {
  Bytes all;
  for (const auto& p : parts) append(all, p);
  return all;
}

Bytes slice(const Bytes& b, std::size_t from, std::size_t to) {
  return Bytes(b.begin() + static_cast<std::ptrdiff_t>(from),
               b.begin() + static_cast<std::ptrdiff_t>(std::min(to, b.size())));
}

const std::vector<Bytes> kUplink = {raw_frame("hello from the device"), raw_frame("ack 1"),
                                    raw_frame(std::string(300, 'p'))};
const std::vector<Bytes> kDownlink = {raw_frame("welcome"), raw_frame("publish 1")};

}  // namespace

TEST_CASE("tcp: a whole connection: opened, frames both ways with offsets, closed") {
  Conversation c;
  Feeder feed;
  const Bytes up = concat(kUplink);
  const Bytes down = concat(kDownlink);
  feed(c.syn());
  feed(c.syn_ack());
  feed(c.up(0, {}, kAck));
  feed(c.up(0, slice(up, 0, 20)));  // the first frame split across segments
  feed(c.up(20, slice(up, 20, 50)));
  feed(c.down(0, down));
  feed(c.up(50, slice(up, 50, up.size())));
  feed(c.up(static_cast<std::uint32_t>(up.size()), {}, kFin | kAck));
  feed(c.down(static_cast<std::uint32_t>(down.size()), {}, kFin | kAck));
  feed(c.up(static_cast<std::uint32_t>(up.size()) + 1, {}, kAck));
  feed.finish();

  CHECK(feed.frames(Direction::ToServer) == kUplink);
  CHECK(feed.frames(Direction::FromServer) == kDownlink);
  REQUIRE(feed.of_kind(EventKind::Opened).size() == 1);
  const Event& opened = *feed.of_kind(EventKind::Opened)[0];
  CHECK(opened.peer == "127.0.0.1:45678");
  REQUIRE(opened.connection);
  CHECK(opened.connection->id == 1);
  CHECK(opened.connection->server == c.server);
  CHECK(opened.connection->text() == "tcp#1");
  REQUIRE(feed.of_kind(EventKind::Closed).size() == 1);
  CHECK(feed.of_kind(EventKind::Closed)[0]->text == "closed by the device");
  CHECK(feed.of_kind(EventKind::Problem).empty());
  CHECK(feed.events.back().kind == EventKind::Closed);

  std::vector<std::uint64_t> offsets;
  for (const auto& e : feed.events)
    if (e.kind == EventKind::Frame && e.direction == Direction::ToServer)
      offsets.push_back(*e.stream_offset);
  CHECK(offsets ==
        std::vector<std::uint64_t>{0, kUplink[0].size(), kUplink[0].size() + kUplink[1].size()});
}

TEST_CASE("tcp: out-of-order and retransmitted segments give the same frames") {
  Conversation c;
  Feeder feed;
  const Bytes up = concat(kUplink);
  feed(c.syn());
  feed(c.syn_ack());
  feed(c.up(30, slice(up, 30, 60)));
  feed(c.up(60, slice(up, 60, up.size())));
  feed(c.up(0, slice(up, 0, 30)));
  feed(c.up(0, slice(up, 0, 40)));  // retransmitted, overlapping
  feed(c.up(30, slice(up, 30, 60)));
  feed.finish();
  CHECK(feed.frames(Direction::ToServer) == kUplink);
  CHECK(feed.of_kind(EventKind::Problem).empty());
}

TEST_CASE("tcp: a connection running before the capture starts at its first data, warned") {
  Conversation c;
  Feeder feed;
  const Bytes down = concat(kDownlink);
  feed(c.up(500, {}, kAck));  // a bare ACK creates nothing
  CHECK(feed.events.empty());
  feed(c.down(4000, down));
  feed(c.up(500, kUplink[1]));
  feed.finish();
  CHECK(feed.frames(Direction::FromServer) == kDownlink);
  CHECK(feed.frames(Direction::ToServer) == std::vector<Bytes>{kUplink[1]});
  CHECK(feed.of_kind(EventKind::Opened).empty());
  const auto problems = feed.of_kind(EventKind::Problem);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0]->severity == Severity::Warning);
  CHECK(problems[0]->text.find("no SYN") != std::string::npos);
}

TEST_CASE("tcp: a hole that never fills stops that direction there, reported with its size") {
  Conversation c;
  Feeder feed;
  const Bytes up = concat(kUplink);
  const std::size_t hole_from = kUplink[0].size() + 3;  // inside the second frame
  const std::size_t hole_to = hole_from + 5;
  feed(c.syn());
  feed(c.syn_ack());
  feed(c.up(0, slice(up, 0, hole_from)));
  feed(c.up(static_cast<std::uint32_t>(hole_to), slice(up, hole_to, up.size())));
  feed(c.down(0, concat(kDownlink)));
  feed.finish();
  CHECK(feed.frames(Direction::ToServer) == std::vector<Bytes>{kUplink[0]});
  CHECK(feed.frames(Direction::FromServer) == kDownlink);  // the other direction is fine
  const auto problems = feed.of_kind(EventKind::Problem);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0]->severity == Severity::Error);
  CHECK(problems[0]->direction == Direction::ToServer);
  CHECK(problems[0]->text.find("5 bytes missing at stream offset " + std::to_string(hole_from)) !=
        std::string::npos);
  CHECK(*problems[0]->stream_offset == hole_from);
}

TEST_CASE("tcp: RST closes the connection and reports what was still missing") {
  Conversation c;
  Feeder feed;
  const Bytes down = concat(kDownlink);
  feed(c.syn());
  feed(c.syn_ack());
  feed(c.down(0, slice(down, 0, 10)));  // the first frame, cut
  feed(c.down(20, slice(down, 20, down.size())));
  feed(c.down(static_cast<std::uint32_t>(down.size()), {}, kRst));
  feed(c.down(0, down));  // after the reset: ignored
  feed.finish();
  CHECK(feed.frames(Direction::FromServer).empty());
  const auto closed = feed.of_kind(EventKind::Closed);
  REQUIRE(closed.size() == 1);
  CHECK(closed[0]->text == "reset by the server");
  const auto problems = feed.of_kind(EventKind::Problem);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0]->text.find("10 bytes missing at stream offset 10") != std::string::npos);
}

TEST_CASE("tcp: a stream that ends inside a frame says so") {
  Conversation c;
  Feeder feed;
  feed(c.syn());
  feed(c.syn_ack());
  feed(c.up(0, slice(kUplink[0], 0, 12)));
  feed.finish();
  const auto problems = feed.of_kind(EventKind::Problem);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0]->text.find("ended inside a frame at stream offset 0 (12 bytes") !=
        std::string::npos);
}

TEST_CASE("tcp: a bad frame header stops its direction; TLS is recognised") {
  Conversation c;
  Feeder feed;
  feed(c.syn());
  feed(c.syn_ack());
  Bytes hello = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03};
  feed(c.up(0, hello));
  feed(c.up(static_cast<std::uint32_t>(hello.size()), kUplink[0]));
  feed.finish();
  CHECK(feed.frames(Direction::ToServer).empty());
  const auto problems = feed.of_kind(EventKind::Problem);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0]->text.find("bad frame header at stream offset 0: FrameTooLarge") !=
        std::string::npos);
  CHECK(problems[0]->text.find("looks like TLS") != std::string::npos);
}

TEST_CASE("tcp: out-of-order data beyond the bound drops the direction with an error") {
  Conversation c;
  Feeder feed;  // bound: 4096 bytes
  feed(c.syn());
  feed(c.syn_ack());
  for (std::uint32_t i = 0; i < 4; ++i) feed(c.up(100 + i * 1500, Bytes(1400, 'x')));
  feed.finish();
  const auto problems = feed.of_kind(EventKind::Problem);
  REQUIRE(problems.size() == 1);
  CHECK(problems[0]->text.find("out of order") != std::string::npos);
  CHECK(problems[0]->text.find("stream offset 0") != std::string::npos);
}

TEST_CASE("tcp: a new SYN on the same ports is a new connection; other ports are ignored") {
  Conversation c;
  Feeder feed;
  feed(c.syn());
  feed(c.syn_ack());
  feed(c.up(0, kUplink[0]));
  feed(c.syn());  // a retransmitted SYN changes nothing
  feed(c.up(static_cast<std::uint32_t>(kUplink[0].size()), {}, kRst | kAck));
  feed(c.up(0, kUplink[1]));  // late, for a closed connection: ignored
  Conversation again = c;
  again.device_isn = 555;
  feed(again.syn());
  feed(again.syn_ack());
  feed(again.up(0, kUplink[2]));
  Segment other = c.up(0, kUplink[1]);
  other.destination.port = 8080;
  feed(other);
  feed.finish();

  std::vector<std::uint64_t> ids;
  for (const auto& e : feed.events)
    if (e.kind == EventKind::Frame) ids.push_back(e.connection->id);
  CHECK(ids == std::vector<std::uint64_t>{1, 2});
  CHECK(feed.frames(Direction::ToServer) == std::vector<Bytes>{kUplink[0], kUplink[2]});
  CHECK(feed.of_kind(EventKind::Opened).size() == 2);
  CHECK(feed.tracker.connections_seen() == 2);
  CHECK(feed.tracker.other_port_segments() == 1);
}

}  // namespace kite::capture::test
