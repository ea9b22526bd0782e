// `kite decode` on real traffic: tcpdump records a device's conversation with a real kited on
// loopback, and kite decode puts it back together: the handshake, the publishes in order, the
// acks, a body that does not decode (reported, and the frames after it still printed); then
// files that cannot be read (cut short, not pcap, pcapng, missing) and their exit code 1.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "child_process.h"
#include "harness.h"
#include "kite/protocol/frame_codec.h"
#include "kite_cli.h"
#include "tcpdump.h"
#include "test_pki.h"

namespace kite::it {
namespace {

using Json = nlohmann::json;

struct Decoded {
  KiteRun run;
  std::vector<Json> events;
};

Decoded decode(const std::vector<std::string>& args, const std::string& stdin_text = {}) {
  Decoded d;
  std::vector<std::string> all = {"decode"};
  all.insert(all.end(), args.begin(), args.end());
  d.run = run_kite(all, stdin_text);
  std::istringstream lines(d.run.out);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty() && line.front() == '{') d.events.push_back(Json::parse(line));
  return d;
}

Decoded decode_json(const Tcpdump& capture, std::uint16_t port) {
  return decode({"--port", std::to_string(port), "--json", capture.file().string()});
}

// Decodes the capture until `done(events)` holds (tcpdump writes as it captures), up to kWait.
template <typename Done>
bool wait_decoded(const Tcpdump& capture, std::uint16_t port, Done done) {
  const Millis deadline = now_ms() + kWait;
  do {
    if (done(decode_json(capture, port).events)) return true;
    usleep(20'000);  // polling pace, not a sync
  } while (now_ms() < deadline);
  return false;
}

bool has_event(const std::vector<Json>& events, const std::string& kind) {
  return std::any_of(events.begin(), events.end(),
                     [&](const Json& e) { return e.value("event", "") == kind; });
}

std::vector<Json> frames_of(const std::vector<Json>& events, const std::string& direction,
                            const std::string& type = {}) {
  std::vector<Json> out;
  for (const auto& e : events)
    if (e.value("event", "") == "frame" && e.value("direction", "") == direction &&
        (type.empty() || e.value("type", "") == type))
      out.push_back(e);
  return out;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

void write_file(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// A Kite recording written here from docs/recording.md, byte by byte: classic pcap, nanosecond
// timestamps, link type 147, records behind the 16-byte pseudo-header.
class RecordingFile {
 public:
  RecordingFile() {
    le32(0xa1b23c4d);
    le32(2 | 4 << 16);  // version 2.4
    le32(0);
    le32(0);
    le32((16u << 20) + 64);
    le32(147);
  }

  void add(std::int64_t time_ns, std::uint8_t kind, std::uint8_t direction,
           std::uint64_t connection, const std::string& payload, bool tls = false) {
    std::string pseudo = {1, static_cast<char>(kind), static_cast<char>(direction),
                          static_cast<char>(tls ? 1 : 0)};
    for (int shift = 56; shift >= 0; shift -= 8)
      pseudo.push_back(static_cast<char>(connection >> shift));
    pseudo.append(4, '\0');
    le32(static_cast<std::uint32_t>(time_ns / 1'000'000'000));
    le32(static_cast<std::uint32_t>(time_ns % 1'000'000'000));
    le32(static_cast<std::uint32_t>(pseudo.size() + payload.size()));
    le32(static_cast<std::uint32_t>(pseudo.size() + payload.size()));
    bytes += pseudo + payload;
  }

  std::string bytes;

 private:
  void le32(std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>(v >> (8 * i)));
  }
};

// A Publish frame as kited sends it, compressed when `compress` and that pays.
std::string publish_frame(std::uint64_t seq, const std::string& payload, bool compress) {
  protocol::FrameEncoder encoder;
  encoder.compression().threshold = compress ? 64 : SIZE_MAX;
  auto& b = encoder.start();
  const auto bytes =
      b.CreateVector(reinterpret_cast<const std::uint8_t*>(payload.data()), payload.size());
  const auto message = wire::CreatePublish(b, seq, wire::Qos::AtLeastOnce, 0, 0, 0, 0, bytes);
  std::vector<std::uint8_t> out;
  encoder.finish(message, out);
  return std::string(out.begin(), out.end());
}

// Waits until the capture holds the connection's end, then stops tcpdump.
void stop_once_closed(Tcpdump& capture, std::uint16_t port) {
  REQUIRE(
      wait_decoded(capture, port, [](const auto& events) { return has_event(events, "closed"); }));
  capture.stop();
}

// A device's whole session with kited: `payloads` sent to it and received, acknowledged, closed.
void device_session(Harness& h, const std::string& id, const std::vector<std::string>& payloads) {
  TestDevice device(h.device_options(id));
  device.connect_and_open();
  for (const auto& payload : payloads) h.send_ok(id, payload);
  const auto received = device.take_messages(payloads.size(), kWait);
  REQUIRE(received.size() == payloads.size());
  // Drives the device until kited holds nothing unacknowledged: the acks went out.
  auto body = h.wait_device(id, [](const Json& b) { return b["queued"] == 0; }, {&device});
  REQUIRE(body["queued"] == 0);
  device.close();
  device.wait_socket_closed(kWait);
}

// The handshake: Hello with the device id, Challenge, Auth, Welcome.
void check_handshake(const std::vector<Json>& events, const std::string& id) {
  const auto hellos = frames_of(events, "up", "Hello");
  REQUIRE(hellos.size() == 1);
  CHECK(hellos[0]["message"]["device_id"] == id);
  CHECK(hellos[0]["message"]["method"] == "Hmac");
  CHECK(hellos[0]["message"]["client_nonce"]["size"] == 32);
  CHECK(hellos[0]["stream_offset"] == 0);
  CHECK(hellos[0]["header"]["length"].get<std::size_t>() + 8 <=
        hellos[0]["size"].get<std::size_t>());
  CHECK(frames_of(events, "down", "Challenge").size() == 1);
  CHECK(frames_of(events, "up", "Auth").size() == 1);
  const auto welcomes = frames_of(events, "down", "Welcome");
  REQUIRE(welcomes.size() == 1);
  CHECK(welcomes[0]["message"]["resumed"] == false);
  CHECK(welcomes[0]["message"].contains("keepalive_ms"));
}

// The publishes, in order, with their payloads and sequence numbers; then the acks: cumulative,
// the last one covering every publish, each after what it acknowledges.
void check_publishes_and_acks(const std::vector<Json>& events,
                              const std::vector<std::string>& payloads) {
  const auto publishes = frames_of(events, "down", "Publish");
  REQUIRE(publishes.size() == payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    CAPTURE(i);
    CHECK(publishes[i]["message"]["payload"]["text"] == payloads[i]);
    CHECK(publishes[i]["message"]["payload"]["size"] == payloads[i].size());
    CHECK(publishes[i]["message"]["seq"] == i + 1);
    CHECK(publishes[i]["message"]["qos"] == "AtLeastOnce");
  }
  const auto acks = frames_of(events, "up", "Ack");
  REQUIRE_FALSE(acks.empty());
  CHECK(acks.back()["message"]["seq"] == payloads.size());
  CHECK(acks.back()["time_ns"].get<std::int64_t>() >=
        publishes.back()["time_ns"].get<std::int64_t>());
}

// The text output says the same as the JSON, one line per event (`event_count` of them); stdin
// reads as well as a file.
void check_text_output(const Tcpdump& capture, std::uint16_t port, const std::string& id,
                       std::size_t event_count) {
  const Decoded text = decode({"--port", std::to_string(port), "-"}, read_file(capture.file()));
  CHECK(text.run.exit_code == 0);
  CHECK(text.run.out.find("Hello version=1 device_id=\"" + id + "\"") != std::string::npos);
  CHECK(text.run.out.find("payload=\"second: {\\\"on\\\":true}\"") != std::string::npos);
  CHECK(std::count(text.run.out.begin(), text.run.out.end(), '\n') ==
        static_cast<std::ptrdiff_t>(event_count));
}

// --max-payload cuts payloads, saying so; the wrong --port finds nothing and says why.
void check_max_payload_and_wrong_port(const Tcpdump& capture, std::uint16_t port,
                                      const std::vector<std::string>& payloads) {
  const Decoded cut = decode(
      {"--port", std::to_string(port), "--json", "--max-payload", "3", capture.file().string()});
  const auto cut_publishes = frames_of(cut.events, "down", "Publish");
  REQUIRE(cut_publishes.size() == payloads.size());
  CHECK(cut_publishes[1]["message"]["payload"]["text"] == payloads[1].substr(0, 3));
  CHECK(cut_publishes[1]["message"]["payload"]["truncated"] == true);
  const Decoded wrong = decode({"--port", "1", capture.file().string()});
  CHECK(wrong.run.exit_code == 0);
  CHECK(wrong.run.out.empty());
  CHECK(wrong.run.err.find("is --port right?") != std::string::npos);
}

}  // namespace

TEST_CASE("20.1 capture: kite decode reads a tcpdump capture of a device's session with kited") {
  Harness h;
  const std::uint16_t port = h.kited.device_port();
  Tcpdump capture(port);
  const std::string id = "capture-lamp-1";
  const std::vector<std::string> payloads = {"first", "second: {\"on\":true}", "third"};
  device_session(h, id, payloads);
  stop_once_closed(capture, port);

  const Decoded d = decode_json(capture, port);
  INFO("kite decode stdout:\n" << d.run.out << "\nstderr:\n" << d.run.err);
  CHECK(d.run.exit_code == 0);
  REQUIRE_FALSE(d.events.empty());
  CHECK_FALSE(has_event(d.events, "error"));

  // One connection, opened from the device's address to kited's port.
  const Json& opened = d.events.front();
  CHECK(opened["event"] == "opened");
  CHECK(opened["connection"] == "tcp#1");
  CHECK(opened["server"] == "127.0.0.1:" + std::to_string(port));
  CHECK(opened["peer"].get<std::string>().rfind("127.0.0.1:", 0) == 0);
  for (const auto& e : d.events) CHECK(e["connection"] == "tcp#1");

  check_handshake(d.events, id);
  check_publishes_and_acks(d.events, payloads);

  // Time order, and the connection closed at the end.
  for (std::size_t i = 1; i < d.events.size(); ++i)
    CHECK(d.events[i]["time_ns"].get<std::int64_t>() >=
          d.events[i - 1]["time_ns"].get<std::int64_t>());
  CHECK(d.events.back()["event"] == "closed");

  check_text_output(capture, port, id, d.events.size());
  check_max_payload_and_wrong_port(capture, port, payloads);
}

TEST_CASE("20.2 capture: a frame that does not decode is reported and the frames after it go on") {
  Harness h;
  const std::uint16_t port = h.kited.device_port();
  Tcpdump capture(port);
  std::vector<std::uint8_t> body(40, 0xff);
  body[0] = 0x0c;  // a root offset inside the body, to tables that make no sense
  {
    TestDevice device(h.device_options("capture-scrambler"));
    device.connect_and_open();
    std::vector<std::uint8_t> frame;
    protocol::append_raw_frame({static_cast<std::uint32_t>(body.size()), 0, 0}, body, frame);
    device.send_raw(frame);
    const auto closed = device.wait_closed(kWait);
    REQUIRE(closed);
    CHECK(closed->reason == Reason::InvalidBody);
    device.wait_socket_closed(kWait);
  }  // our end of the socket closes too: the capture sees the connection end
  stop_once_closed(capture, port);

  const Decoded d = decode_json(capture, port);
  INFO("kite decode stdout:\n" << d.run.out << "\nstderr:\n" << d.run.err);
  CHECK(d.run.exit_code == 0);  // the file was read: a frame that does not decode is not fatal
  std::optional<Json> bad;
  for (const auto& e : frames_of(d.events, "up"))
    if (e.contains("error")) bad = e;
  REQUIRE(bad);
  CHECK((*bad)["error"].get<std::string>().find("InvalidBody") != std::string::npos);
  CHECK((*bad)["header"]["length"] == body.size());
  CHECK_FALSE(bad->contains("type"));
  // kited's answer after it: an Error frame naming the reason, decoded.
  const auto errors = frames_of(d.events, "down", "Error");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0]["message"]["reason"] == "InvalidBody");
  CHECK(errors[0]["time_ns"].get<std::int64_t>() >= (*bad)["time_ns"].get<std::int64_t>());

  // The text output marks the frame with its error too.
  const Decoded text = decode({"--port", std::to_string(port), capture.file().string()});
  CHECK(text.run.out.find("error: InvalidBody") != std::string::npos);
}

TEST_CASE("20.3 capture: files that cannot be read are exit 1 with a clear reason") {
  Harness h;
  const std::uint16_t port = h.kited.device_port();
  Tcpdump capture(port);
  {
    TestDevice device(h.device_options("capture-short-1"));
    device.connect_and_open();
    device.close();
    device.wait_socket_closed(kWait);
  }
  stop_once_closed(capture, port);
  const std::string whole = read_file(capture.file());
  const Decoded full = decode_json(capture, port);
  REQUIRE(full.run.exit_code == 0);
  REQUIRE(frames_of(full.events, "up", "Hello").size() == 1);

  // Cut inside the last record: what came before is printed, then the error, exit 1.
  const auto cut_path = capture.dir() / "cut.pcap";
  write_file(cut_path, whole.substr(0, whole.size() - 5));
  const Decoded cut = decode({"--port", std::to_string(port), "--json", cut_path.string()});
  INFO("cut: " << cut.run.out << cut.run.err);
  CHECK(cut.run.exit_code == 1);
  CHECK(cut.run.err.find("cut.pcap: record at byte") != std::string::npos);
  CHECK(cut.run.err.find("cut short") != std::string::npos);
  CHECK(frames_of(cut.events, "up", "Hello").size() == 1);
  CHECK(cut.events.back()["event"] == "error");
  CHECK(cut.events.back()["file"] == cut_path.string());

  // A corrupt record length: refused at its offset, nothing huge allocated.
  std::string corrupt = whole;
  for (std::size_t i = 24 + 8; i < 24 + 12; ++i) corrupt[i] = '\xff';  // the first record's length
  const auto corrupt_path = capture.dir() / "corrupt.pcap";
  write_file(corrupt_path, corrupt);
  const Decoded bad_length = decode({corrupt_path.string()});
  CHECK(bad_length.run.exit_code == 1);
  CHECK(bad_length.run.err.find("record at byte 24 claims 4294967295 bytes") != std::string::npos);

  // Not pcap at all, pcapng, a file that does not exist.
  const auto text_path = capture.dir() / "notes.txt";
  write_file(text_path, "these are not packets\n");
  const Decoded text = decode({text_path.string()});
  CHECK(text.run.exit_code == 1);
  CHECK(text.run.err.find("not a pcap file") != std::string::npos);
  const auto pcapng_path = capture.dir() / "capture.pcapng";
  write_file(pcapng_path, std::string("\x0a\x0d\x0d\x0a\x1c\x00\x00\x00\x4d\x3c\x2b\x1a", 12));
  const Decoded pcapng = decode({pcapng_path.string()});
  CHECK(pcapng.run.exit_code == 1);
  CHECK(pcapng.run.err.find("editcap -F pcap") != std::string::npos);
  const Decoded missing = decode({(capture.dir() / "nothing-here.pcap").string()});
  CHECK(missing.run.exit_code == 1);
  CHECK(missing.run.err.find("cannot open") != std::string::npos);

  // A good file with a bad one: the good one is printed whole, and the exit code is still 1.
  const Decoded mixed = decode(
      {"--port", std::to_string(port), "--json", capture.file().string(), text_path.string()});
  CHECK(mixed.run.exit_code == 1);
  CHECK(frames_of(mixed.events, "up").size() == frames_of(full.events, "up").size());

  // Usage errors: no file, stdin twice, a port out of range.
  CHECK(decode({}).run.exit_code == 2);
  CHECK(decode({"-", "-"}).run.exit_code == 2);
  CHECK(decode({"--port", "70000", capture.file().string()}).run.exit_code == 2);
}

TEST_CASE("20.4 capture: kite decode reads Kite recordings: merged, inflated, errors per frame") {
  test::TempDir scratch;
  const std::int64_t t0 = 1'750'000'000'000'000'000;
  std::string big;
  for (int i = 0; i < 100; ++i) big += "temperature=21.5;humidity=40;";
  const std::string plain = publish_frame(1, "plain text", false);
  const std::string packed = publish_frame(2, big, true);
  REQUIRE((packed[4] & 1) == 1);  // the encoder did compress it: the case is real
  std::string needs_dictionary = std::string("\x08\0\0\0\x01\0\x05\0", 8) + "zstdzstd";
  const std::string half_frame = plain.substr(0, plain.size() / 2);

  RecordingFile w0, w1;  // two workers of one kited: their files merge by time
  w0.add(t0 + 10, 1, 0, 7, "10.0.0.7:40000");
  w1.add(t0 + 15, 1, 0, 9, "[2001:db8::9]:5000", true);
  w0.add(t0 + 20, 0, 1, 7, plain);
  w1.add(t0 + 25, 0, 1, 9, packed, true);
  w0.add(t0 + 30, 0, 1, 7, needs_dictionary);
  w1.add(t0 + 35, 0, 0, 9, half_frame, true);
  w0.add(t0 + 40, 2, 0, 7, "KeepaliveTimeout");
  const auto w0_path = scratch.path() / "kite-w0-1.pcap";
  const auto w1_path = scratch.path() / "kite-w1-1.pcap";
  write_file(w0_path, w0.bytes);
  write_file(w1_path, w1.bytes);

  const Decoded d = decode({"--json", "--max-payload", "0", w0_path.string(), w1_path.string()});
  INFO("kite decode stdout:\n" << d.run.out << "\nstderr:\n" << d.run.err);
  CHECK(d.run.exit_code == 0);  // frames that do not decode do not make the file unreadable
  REQUIRE(d.events.size() == 7);
  for (std::size_t i = 0; i < d.events.size(); ++i)
    CHECK(d.events[i]["time_ns"] == t0 + 10 + 5 * static_cast<std::int64_t>(i));
  CHECK(d.events[0]["connection"] == "#7");
  CHECK(d.events[0]["peer"] == "10.0.0.7:40000");
  CHECK(d.events[1]["tls"] == true);
  CHECK(d.events[1]["file"] == w1_path.string());
  CHECK(d.events[2]["message"]["payload"]["text"] == "plain text");
  CHECK(d.events[2]["peer"] == "10.0.0.7:40000");
  CHECK(d.events[3]["header"]["compressed"] == true);
  CHECK(d.events[3]["message"]["payload"]["text"] == big);  // inflated
  CHECK(d.events[3]["message"]["seq"] == 2);
  CHECK(d.events[4]["error"].get<std::string>().find("needs dictionary 5") != std::string::npos);
  CHECK(d.events[5]["error"].get<std::string>().find("announces a frame of") != std::string::npos);
  CHECK(d.events[6]["event"] == "closed");
  CHECK(d.events[6]["reason"] == "KeepaliveTimeout");
}

}  // namespace kite::it
