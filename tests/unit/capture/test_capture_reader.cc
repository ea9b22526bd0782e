// CaptureReader: Kite recordings (pseudo-header, opened / frame / closed, bad records), tcpdump
// captures of each kind, several files merged by time (recordings of two workers; one TCP
// connection over rotated files), inputs that cannot be read, and transcripts per connection.
#include <doctest/doctest.h>

#include "capture_builders.h"
#include "kite/capture/capture_reader.h"
#include "kite/capture/transcript.h"

namespace kite::capture::test {
namespace {

CaptureInput memory_input(const std::string& name, const Bytes& bytes) {
  CaptureInput input;
  input.name = name;
  input.source = std::make_unique<MemorySource>(bytes);
  return input;
}

std::vector<Event> read_events(std::vector<CaptureInput> inputs, CaptureOptions options = {},
                               std::vector<InputState>* states = nullptr) {
  CaptureReader reader(std::move(inputs), options);
  std::vector<Event> events;
  for (Event e; reader.next(e);) events.push_back(std::move(e));
  if (states) *states = reader.inputs();
  return events;
}

constexpr std::int64_t kT0 = 1'750'000'000'000'000'000;

}  // namespace

TEST_CASE("capture: a Kite recording's records become events") {
  PcapBuilder file(147);
  const Bytes hello = raw_frame("hello");
  const Bytes welcome = raw_frame("welcome");
  file.add(kT0, record(1, 0, 0x0102030405060708, bytes_of("10.1.2.3:5555"), true))
      .add(kT0 + 10, record(0, 0, 0x0102030405060708, hello, true))
      .add(kT0 + 20, record(0, 1, 0x0102030405060708, welcome, true))
      .add(kT0 + 30, record(2, 0, 0x0102030405060708, bytes_of("KeepaliveTimeout"), true));
  std::vector<InputState> states;
  std::vector<CaptureInput> inputs;
  inputs.push_back(memory_input("w0.pcap", file.bytes));
  const auto got = read_events(std::move(inputs), {}, &states);
  REQUIRE(got.size() == 4);
  CHECK(got[0].kind == EventKind::Opened);
  CHECK(got[0].peer == "10.1.2.3:5555");
  CHECK(got[0].tls);
  REQUIRE(got[1].connection);
  CHECK(got[1].connection->id == 0x0102030405060708);
  CHECK(got[1].connection->text() == "#72623859790382856");
  CHECK(got[1].kind == EventKind::Frame);
  CHECK(got[1].frame == hello);
  CHECK(got[1].peer == "10.1.2.3:5555");  // known from the opened event
  CHECK(got[1].direction == Direction::ToServer);
  CHECK(got[2].direction == Direction::FromServer);
  CHECK(got[2].frame == welcome);
  CHECK(got[2].time_ns == kT0 + 20);
  CHECK(got[3].kind == EventKind::Closed);
  CHECK(got[3].text == "KeepaliveTimeout");
  REQUIRE(states.size() == 1);
  CHECK(states[0].error.empty());
  CHECK(states[0].packets == 4);
  CHECK(states[0].recording());
}

TEST_CASE("capture: a bad record is a problem event, and the records after it are read") {
  PcapBuilder file(147);
  file.add(kT0, bytes_of("short"))
      .add(kT0 + 1, record(0, 0, 9, raw_frame("x"), false, 2))
      .add(kT0 + 2, record(7, 0, 9, {}))
      .add(kT0 + 3, record(0, 5, 9, raw_frame("y")))
      .add(kT0 + 4, record(0, 0, 9, raw_frame("fine")));
  std::vector<CaptureInput> inputs;
  inputs.push_back(memory_input("bad.pcap", file.bytes));
  const auto events = read_events(std::move(inputs));
  REQUIRE(events.size() == 5);
  CHECK(events[0].kind == EventKind::Problem);
  CHECK_FALSE(events[0].connection);
  CHECK(events[0].text.find("fewer than the 16-byte Kite pseudo-header") != std::string::npos);
  CHECK(events[0].text.find("record at byte 24") != std::string::npos);
  CHECK(events[1].text.find("version 2") != std::string::npos);
  CHECK_FALSE(events[1].connection);
  CHECK(events[2].text.find("unknown kind 7") != std::string::npos);
  REQUIRE(events[2].connection);
  CHECK(events[3].text.find("unknown direction 5") != std::string::npos);
  CHECK(events[4].kind == EventKind::Frame);
  CHECK(events[4].frame == raw_frame("fine"));
}

TEST_CASE("capture: recordings of two workers merge by time; ties keep the input order") {
  PcapBuilder w0(147), w1(147);
  w0.add(kT0 + 10, record(0, 0, 1, raw_frame("a")))
      .add(kT0 + 30, record(0, 0, 1, raw_frame("c")))
      .add(kT0 + 40, record(0, 0, 1, raw_frame("e")));
  w1.add(kT0 + 5, record(0, 0, 2, raw_frame("0")))
      .add(kT0 + 20, record(0, 0, 2, raw_frame("b")))
      .add(kT0 + 40, record(0, 0, 2, raw_frame("f")));
  std::vector<CaptureInput> inputs;
  inputs.push_back(memory_input("w0", w0.bytes));
  inputs.push_back(memory_input("w1", w1.bytes));
  const auto events = read_events(std::move(inputs));
  std::string order;
  std::vector<std::size_t> from;
  for (const auto& e : events) {
    order += static_cast<char>(e.frame[8]);
    from.push_back(e.input);
  }
  CHECK(order == "0abcef");
  CHECK(from == std::vector<std::size_t>{1, 0, 1, 0, 0, 1});
}

TEST_CASE("capture: tcpdump captures of every link type yield the same frames") {
  const Endpoint device = v4(192, 168, 1, 20, 50000);
  const Endpoint server = v4(192, 168, 1, 1, 7443);
  const Bytes frames = [] {
    Bytes all = raw_frame("hello");
    append(all, raw_frame("world!"));
    return all;
  }();
  const std::vector<Segment> segments = {
      {device, server, 100, 0, kSyn, {}},
      {server, device, 900, 101, kSyn | kAck, {}},
      {device, server, 101, 901, kAck | kPsh, Bytes(frames.begin(), frames.begin() + 9)},
      {device, server, 110, 901, kAck | kPsh, Bytes(frames.begin() + 9, frames.end())},
  };
  struct Kind {
    std::uint32_t link_type;
    Bytes (*wrap)(const Bytes&);
  };
  const std::vector<Kind> kinds = {
      {1, [](const Bytes& ip) { return ethernet(0x0800, ip); }},
      {1, [](const Bytes& ip) { return ethernet(0x0800, ip, 7); }},
      {113, [](const Bytes& ip) { return linux_sll(0x0800, ip); }},
      {276, [](const Bytes& ip) { return linux_sll2(0x0800, ip); }},
      {0, [](const Bytes& ip) { return bsd_null(2, true, ip); }},
      {0, [](const Bytes& ip) { return bsd_null(2, false, ip); }},
      {101, [](const Bytes& ip) { return ip; }},
      {228, [](const Bytes& ip) { return ip; }},
  };
  for (const auto& kind : kinds) {
    CAPTURE(kind.link_type);
    PcapBuilder file(kind.link_type, false, kind.link_type == 0);
    std::int64_t t = kT0;
    for (const auto& s : segments) file.add(t += 1000, kind.wrap(ipv4(s)));
    std::vector<CaptureInput> inputs;
    inputs.push_back(memory_input("tcpdump.pcap", file.bytes));
    CaptureOptions options;
    options.server_port = 7443;
    CaptureReader reader(std::move(inputs), options);
    std::vector<Bytes> got;
    std::size_t opened = 0;
    for (Event e; reader.next(e);) {
      if (e.kind == EventKind::Frame) got.push_back(e.frame);
      if (e.kind == EventKind::Opened) ++opened;
    }
    CHECK(reader.all_read());
    CHECK(opened == 1);
    CHECK(got == std::vector<Bytes>{raw_frame("hello"), raw_frame("world!")});
    CHECK(reader.stats().tcp_connections == 1);
  }
}

TEST_CASE("capture: one TCP connection over rotated tcpdump files is put back together") {
  const Endpoint device = v6_loopback(41000);
  const Endpoint server = v6_loopback(7000);
  const Bytes frame = raw_frame(std::string(100, 'r'));
  PcapBuilder first(101), second(101);
  first.add(kT0 + 1, ipv6({device, server, 7, 0, kSyn, {}}))
      .add(kT0 + 2, ipv6({device, server, 8, 0, kAck, Bytes(frame.begin(), frame.begin() + 50)}));
  second.add(kT0 + 3, ipv6({device, server, 58, 0, kAck, Bytes(frame.begin() + 50, frame.end())}));
  std::vector<CaptureInput> inputs;
  inputs.push_back(memory_input("b.pcap", second.bytes));  // given out of order: time decides
  inputs.push_back(memory_input("a.pcap", first.bytes));
  CaptureReader reader(std::move(inputs));
  const auto transcripts = read_transcripts(reader);
  REQUIRE(transcripts.size() == 1);
  const Transcript& t = transcripts.begin()->second;
  CHECK(t.opened);
  CHECK(t.peer == "[::1]:41000");
  REQUIRE(t.uplink.size() == 1);
  CHECK(t.uplink[0].bytes == frame);
  CHECK(t.uplink[0].time_ns == kT0 + 3);
  CHECK(t.downlink.empty());
  CHECK(t.errors.empty());
}

TEST_CASE("capture: inputs that cannot be read stop with an error; the others go on") {
  PcapBuilder good(147);
  good.add(kT0, record(0, 0, 1, raw_frame("good")));
  PcapBuilder cut(147);
  cut.add(kT0 - 5, record(0, 0, 2, raw_frame("before the cut")))
      .add(kT0 + 5, record(0, 0, 2, raw_frame("cut")));
  Bytes truncated = cut.bytes;
  truncated.resize(truncated.size() - 3);
  Bytes pcapng = {0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0};
  PcapBuilder other_link(105);  // 802.11
  other_link.add(kT0, bytes_of("radio"));

  std::vector<CaptureInput> inputs;
  inputs.push_back(memory_input("good", good.bytes));
  inputs.push_back(memory_input("truncated", truncated));
  inputs.push_back(memory_input("pcapng", pcapng));
  inputs.push_back(memory_input("wifi", other_link.bytes));
  CaptureInput missing;
  missing.name = "missing";
  missing.error = "cannot open missing: No such file or directory";
  inputs.push_back(std::move(missing));
  CaptureReader reader(std::move(inputs));
  std::vector<std::string> frames;
  for (Event e; reader.next(e);) {
    REQUIRE(e.kind == EventKind::Frame);
    frames.emplace_back(e.frame.begin() + 8, e.frame.begin() + 8 + e.frame[0]);
  }
  CHECK(frames == std::vector<std::string>{"before the cut", "good"});
  CHECK_FALSE(reader.all_read());
  const auto& states = reader.inputs();
  CHECK(states[0].error.empty());
  CHECK(states[1].error.find("cut short") != std::string::npos);
  CHECK(states[2].error.find("editcap") != std::string::npos);
  CHECK(states[3].error.find("link type 105") != std::string::npos);
  CHECK(states[4].error.find("No such file") != std::string::npos);
}

TEST_CASE("capture: transcripts hold each connection's frames per direction") {
  PcapBuilder file(147);
  file.add(kT0, record(1, 0, 5, bytes_of("[::1]:9")))
      .add(kT0 + 1, record(0, 0, 5, raw_frame("up 1")))
      .add(kT0 + 2, record(0, 0, 6, raw_frame("other connection")))
      .add(kT0 + 3, record(0, 1, 5, raw_frame("down 1")))
      .add(kT0 + 4, record(0, 0, 5, raw_frame("up 2")))
      .add(kT0 + 5, record(2, 0, 5, bytes_of("peer closed")));
  std::vector<CaptureInput> inputs;
  inputs.push_back(memory_input("r", file.bytes));
  CaptureReader reader(std::move(inputs));
  const auto transcripts = read_transcripts(reader);
  REQUIRE(transcripts.size() == 2);
  const Transcript& five = transcripts.at(ConnectionKey{0, 5, {}, {}});
  CHECK(five.opened);
  CHECK(five.closed);
  CHECK(five.close_reason == "peer closed");
  CHECK(five.peer == "[::1]:9");
  REQUIRE(five.uplink.size() == 2);
  CHECK(five.uplink[1].bytes == raw_frame("up 2"));
  REQUIRE(five.downlink.size() == 1);
  CHECK(five.downlink[0].bytes == raw_frame("down 1"));
  CHECK(five.first_ns == kT0);
  CHECK(five.last_ns == kT0 + 5);
  const Transcript& six = transcripts.at(ConnectionKey{0, 6, {}, {}});
  CHECK_FALSE(six.opened);
  CHECK(six.uplink.size() == 1);
}

}  // namespace kite::capture::test
