// Recordings (docs/recording.md) made by a real kited and read back from its files: a device's
// whole conversation in order, recording switched for chosen devices through PUT /v1/recording,
// rotation by size, TLS connections recorded as plaintext, and [record] reloaded on SIGHUP. The
// files are read with the test reader written from the document
// (tests/unit/server/record/pcap_reader.h), the frames decoded with the protocol core; every
// recording directory is a temporary one, removed at the end.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "../unit/server/record/pcap_reader.h"
#include "harness.h"
#include "kite/protocol/frame_codec.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/tls/channel.h"
#include "kite/tls/context.h"
#include "raw_socket.h"
#include "test_pki.h"
#include "tls_fixture.h"
#include "tls_test_device.h"

namespace kite::it {
namespace {

using test::RecordedPacket;
using wire::Message;

constexpr std::uint8_t kFrame = 0, kOpened = 1, kClosed = 2;
constexpr std::uint8_t kUplink = 0, kDownlink = 1;

std::vector<std::string> record_args(const test::TempDir& dir,
                                     std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"--set", "record.directory=" + dir.path().string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// kite-<stamp>-w<worker>-<n>.pcap -> (worker, n): the order one worker wrote its files in.
std::pair<std::uint64_t, std::uint64_t> worker_and_n(const std::filesystem::path& file) {
  const std::string name = file.filename().string();
  const auto w = name.find("-w", 5), dash = name.rfind('-');
  return {std::stoull(name.substr(w + 2, dash - w - 2)), std::stoull(name.substr(dash + 1))};
}

std::vector<std::filesystem::path> recording_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".pcap") files.push_back(entry.path());
  std::sort(files.begin(), files.end(),
            [](const auto& a, const auto& b) { return worker_and_n(a) < worker_and_n(b); });
  return files;
}

// A recorded frame decoded: its message type and the fields the tests look at.
struct Decoded {
  Message type = Message::NONE;
  std::string device;     // Hello
  std::uint64_t seq = 0;  // Publish, Ack
  std::string payload;    // Publish
};

Decoded decode(const RecordedPacket& packet) {
  Decoded out;
  REQUIRE(packet.payload.size() >= protocol::kHeaderSize);
  protocol::FrameHeader header;
  REQUIRE(protocol::read_header(std::span<const std::uint8_t, protocol::kHeaderSize>(
                                    packet.payload.data(), protocol::kHeaderSize),
                                protocol::kAbsoluteMaxBody, header) == protocol::Reason::None);
  REQUIRE(packet.payload.size() == protocol::frame_size(header.length));
  // A copy at an 8-aligned address: FlatBuffers reads the body in place.
  std::vector<std::uint64_t> words(header.length / 8 + 1);
  std::memcpy(words.data(), packet.payload.data() + protocol::kHeaderSize, header.length);
  protocol::BodyDecoder decoder;
  const wire::Frame* frame = nullptr;
  const protocol::RawFrame raw{
      header, {reinterpret_cast<const std::uint8_t*>(words.data()), header.length}};
  REQUIRE(decoder.decode(raw, protocol::kAbsoluteMaxBody, frame) == protocol::Reason::None);
  out.type = frame->message_type();
  if (const auto* hello = frame->message_as_Hello(); hello && hello->device_id())
    out.device = hello->device_id()->str();
  if (const auto* publish = frame->message_as_Publish()) {
    out.seq = publish->seq();
    if (publish->payload())
      out.payload.assign(publish->payload()->begin(), publish->payload()->end());
  }
  if (const auto* ack = frame->message_as_Ack()) out.seq = ack->seq();
  return out;
}

// Every packet in the directory, grouped by connection, each group in the order written.
using Connections = std::map<std::uint64_t, std::vector<RecordedPacket>>;

// False when a file does not parse whole: kited may be flushing it right now.
bool read_connections(const std::filesystem::path& dir, Connections& connections) {
  connections.clear();
  for (const auto& file : recording_files(dir)) {
    auto recording = test::read_recording(file);
    if (!recording.ok() || recording.magic != 0xa1b23c4d || recording.link_type != 147)
      return false;
    for (auto& packet : recording.packets)
      connections[packet.connection].push_back(std::move(packet));
  }
  return true;
}

// The connection whose Hello names `device`; nullptr if none.
const std::vector<RecordedPacket>* connection_of(const Connections& connections,
                                                 const std::string& device) {
  for (const auto& [id, packets] : connections)
    for (const auto& packet : packets)
      if (packet.kind == kFrame && packet.direction == kUplink &&
          decode(packet).type == Message::Hello && decode(packet).device == device)
        return &packets;
  return nullptr;
}

// Polls the recordings (kited flushes them about once a second) into `connections` until
// `done(connections)` holds; pointers into `connections` stay valid after it returns.
bool recorded_eventually(const std::filesystem::path& dir, Connections& connections,
                         const std::function<bool(const Connections&)>& done,
                         int timeout_ms = 3 * kWait) {
  for (const Millis deadline = now_ms() + timeout_ms;;) {
    if (read_connections(dir, connections) && done(connections)) return true;
    if (now_ms() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool has_closed_event(const std::vector<RecordedPacket>* packets) {
  return packets && !packets->empty() && packets->back().kind == kClosed;
}

std::vector<std::string> publish_payloads(const std::vector<RecordedPacket>& packets) {
  std::vector<std::string> payloads;
  for (const auto& packet : packets)
    if (packet.kind == kFrame && packet.direction == kDownlink)
      if (auto d = decode(packet); d.type == Message::Publish) payloads.push_back(d.payload);
  return payloads;
}

// kited's certificate is checked against the test CA; the device logs in with its derived key.
std::shared_ptr<const tls::TlsContext> hmac_client_context(const TlsPki& pki) {
  tls::TlsSettings settings;
  settings.role = tls::Role::Client;
  settings.ca_file = pki.ca.ca_file();
  settings.server_name = "127.0.0.1";
  auto created = tls::TlsContext::create(settings);
  INFO(created.error);
  REQUIRE(created.context);
  return created.context;
}

}  // namespace

TEST_CASE("21.1 recording: a device's handshake, messages and acks, in order, with timestamps") {
  test::TempDir dir;
  Harness h(record_args(dir, {"--set", "record.enabled=true"}));
  TestDevice device(h.device_options("rec-dev-1"));
  device.connect_and_open();
  for (int i = 0; i < 3; ++i) h.send_ok("rec-dev-1", numbered("payload", i));
  REQUIRE(device.take_messages(3, kWait).size() == 3);
  auto acked =
      h.wait_device("rec-dev-1", [](const auto& b) { return b["acked_through"] == 3; }, {&device});
  REQUIRE(acked["acked_through"] == 3);
  device.close();

  const std::vector<RecordedPacket>* packets = nullptr;
  Connections connections;
  REQUIRE(recorded_eventually(dir.path(), connections, [&](const Connections& c) {
    packets = connection_of(c, "rec-dev-1");
    return has_closed_event(packets);
  }));
  INFO("kited log:\n" << h.kited.log());
  const auto& p = *packets;
  REQUIRE(p.front().kind == kOpened);
  CHECK(p.front().text().starts_with("127.0.0.1:"));
  CHECK(p.front().flags == 0);

  // The conversation as the types of its frames, with what each carried.
  std::vector<std::pair<std::uint8_t, Message>> order;
  std::vector<std::string> publishes;
  std::vector<std::uint64_t> published_seqs, acked_seqs;
  for (std::size_t i = 0; i < p.size(); ++i) {
    CAPTURE(i);
    CHECK(p[i].version == 1);
    CHECK(p[i].reserved == 0);
    CHECK(p[i].flags == 0);
    if (i > 0) CHECK(p[i].time_ns >= p[i - 1].time_ns);
    if (p[i].kind != kFrame) continue;
    const Decoded d = decode(p[i]);
    if (d.type == Message::Ping || d.type == Message::Pong || d.type == Message::Credit) continue;
    order.emplace_back(p[i].direction, d.type);
    if (d.type == Message::Publish) {
      publishes.push_back(d.payload);
      published_seqs.push_back(d.seq);
    }
    if (d.type == Message::Ack && p[i].direction == kUplink) {
      // An ack covers messages the recording already showed going down.
      CHECK(std::find(published_seqs.begin(), published_seqs.end(), d.seq) != published_seqs.end());
      acked_seqs.push_back(d.seq);
    }
  }
  REQUIRE(order.size() >= 8);
  CHECK(order[0] == std::pair{kUplink, Message::Hello});
  CHECK(order[1] == std::pair{kDownlink, Message::Challenge});
  CHECK(order[2] == std::pair{kUplink, Message::Auth});
  CHECK(order[3] == std::pair{kDownlink, Message::Welcome});
  CHECK(publishes == std::vector<std::string>{"payload-0", "payload-1", "payload-2"});
  CHECK(published_seqs == std::vector<std::uint64_t>{1, 2, 3});
  REQUIRE_FALSE(acked_seqs.empty());
  CHECK(acked_seqs.back() == 3);
  CHECK(std::is_sorted(acked_seqs.begin(), acked_seqs.end()));
  CHECK(p.back().kind == kClosed);
  CHECK_FALSE(p.back().text().empty());

  auto status = h.http.request("GET", "/v1/recording");
  REQUIRE(status.status == 200);
  auto body = status.json();
  CHECK(body["enabled"] == true);
  CHECK(body["devices"].is_null());
  CHECK(body["directory"] == dir.path().string());
  REQUIRE(body["files"].is_array());
  REQUIRE_FALSE(body["files"].empty());
  CHECK(body["files"][0]["name"].get<std::string>().starts_with("kite-"));
  CHECK(body["frames"].get<std::uint64_t>() >= order.size());
  CHECK(metric(h, "kite_recorded_frames_total") == body["frames"].get<double>());
  CHECK(metric(h, "kite_recorded_bytes_total") == body["bytes"].get<double>());
  CHECK(metric(h, "kite_recording_errors_total") == 0);
}

TEST_CASE("21.2 recording: switched on and off through PUT /v1/recording for chosen devices") {
  test::TempDir dir;
  Harness h(record_args(dir));
  CHECK(h.http.request("GET", "/v1/recording").json()["enabled"] == false);
  TestDevice chosen_early(h.device_options("pick-1")), other_early(h.device_options("other-1"));
  chosen_early.connect_and_open();
  other_early.connect_and_open();

  SUBCASE("bad changes are refused with a problem body, and change nothing") {
    for (const auto& [body, detail] :
         {std::pair{std::string("{"), "not valid JSON"},
          std::pair{std::string(R"({"enabled":true,"colour":1})"), "unknown member \"colour\""},
          std::pair{std::string(R"({"enabled":true,"devices":["ok","bad\u0007id"]})"),
                    "\"devices\"[1]"},
          std::pair{std::string(R"({"enabled":true,"devices":["service:x"]})"), "services"}}) {
      const std::string& request = body;  // clang 14 cannot capture a structured binding
      CAPTURE(request);
      auto answer = h.http.request("PUT", "/v1/recording", request);
      CHECK(answer.status == 400);
      CHECK(answer.headers.find("application/problem+json") != std::string::npos);
      CHECK(answer.json()["detail"].get<std::string>().find(detail) != std::string::npos);
    }
    CHECK(h.http.request("GET", "/v1/recording").json()["enabled"] == false);
    CHECK(h.http.request("PUT", "/v1/recording", R"({"enabled":true})", false).status == 401);
  }

  SUBCASE("only the chosen devices' connections are recorded, until switched off") {
    auto on =
        h.http.request("PUT", "/v1/recording", R"({"enabled":true,"devices":["pick-2","pick-1"]})");
    REQUIRE(on.status == 200);
    CHECK(on.json()["enabled"] == true);
    CHECK(on.json()["devices"] == nlohmann::json{"pick-1", "pick-2"});
    // Connections made after the switch: the chosen one from its hello, the other not at all.
    TestDevice chosen_late(h.device_options("pick-2")), other_late(h.device_options("other-2"));
    chosen_late.connect_and_open();
    other_late.connect_and_open();
    std::vector<TestDevice*> all{&chosen_early, &other_early, &chosen_late, &other_late};
    // The switch was posted to every worker before this answer, so it is applied before the
    // wake-ups these sends post after it.
    for (int i = 0; i < 2; ++i)
      for (auto* device : all) h.send_ok(device->id(), device->id() + "-on-" + std::to_string(i));
    REQUIRE(pump_devices(all, kWait, [&] {
      return std::all_of(all.begin(), all.end(), [](auto* d) { return d->inbox().size() == 2; });
    }));

    auto off = h.http.request("PUT", "/v1/recording", R"({"enabled":false})");
    REQUIRE(off.status == 200);
    CHECK(off.json()["enabled"] == false);
    CHECK(off.json()["devices"].is_null());
    // Wait until the switch-off has reached the workers: their files are closed then.
    Connections recorded;
    REQUIRE(recorded_eventually(dir.path(), recorded, [&](const Connections& c) {
      std::size_t publishes = 0;
      for (const auto& [id, packets] : c) publishes += publish_payloads(packets).size();
      return publishes >= 4;
    }));
    for (auto* device : all) h.send_ok(device->id(), device->id() + "-after-off");
    REQUIRE(pump_devices(all, kWait, [&] {
      return std::all_of(all.begin(), all.end(), [](auto* d) { return d->inbox().size() == 3; });
    }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // past a flush tick
    REQUIRE(read_connections(dir.path(), recorded));

    INFO("kited log:\n" << h.kited.log());
    CHECK(recorded.size() == 2);  // pick-1 (open before) and pick-2 (opened after)
    std::vector<std::string> payloads;
    for (const auto& [id, packets] : recorded)
      for (auto& payload : publish_payloads(packets)) payloads.push_back(payload);
    std::sort(payloads.begin(), payloads.end());
    CHECK(payloads ==
          std::vector<std::string>{"pick-1-on-0", "pick-1-on-1", "pick-2-on-0", "pick-2-on-1"});
    const auto* late = connection_of(recorded, "pick-2");
    REQUIRE(late != nullptr);
    CHECK(late->front().kind == kOpened);  // recorded from the start, its hello included
    CHECK(connection_of(recorded, "pick-1") == nullptr);  // open before: no hello recorded
    for (const auto& [id, packets] : recorded)
      if (&packets != late) CHECK(packets.front().kind == kFrame);
  }
}

TEST_CASE("21.3 recording: rotation by size gives several files, each a valid pcap") {
  test::TempDir dir;
  Harness h(record_args(dir, {"--set", "record.enabled=true", "--set",
                              "record.max_file_bytes=1048576", "--set", "record.max_files=100"}));
  TestDevice device(h.device_options("bulky-1"));
  device.connect_and_open();
  std::mt19937 random(21);
  std::uniform_int_distribution<int> letter('a', 'z');
  std::vector<std::string> sent;
  constexpr int kMessages = 64;  // ~4 MiB even if compressed to 60 %: at least 3 files
  for (int i = 0; i < kMessages; ++i) {
    std::string payload(100 * 1024, ' ');
    for (char& c : payload) c = static_cast<char>(letter(random));
    h.send_ok("bulky-1", payload);
    sent.push_back(std::move(payload));
  }
  REQUIRE(device.take_messages(kMessages, 4 * kWait).size() == kMessages);
  device.close();

  const std::vector<RecordedPacket>* packets = nullptr;
  Connections connections;
  REQUIRE(recorded_eventually(dir.path(), connections, [&](const Connections& c) {
    packets = connection_of(c, "bulky-1");
    return has_closed_event(packets);
  }));
  CHECK(publish_payloads(*packets) == sent);
  const auto files = recording_files(dir.path());
  CHECK(files.size() >= 3);
  for (std::size_t i = 0; i < files.size(); ++i) {
    CAPTURE(files[i]);
    // One connection, so one worker's series: n = 1, 2, 3...
    CHECK(worker_and_n(files[i]).first == worker_and_n(files[0]).first);
    CHECK(worker_and_n(files[i]).second == i + 1);
    CHECK(std::filesystem::file_size(files[i]) <= 1048576);
    const auto recording = test::read_recording(files[i]);
    CHECK(recording.ok());
    CHECK(recording.magic == 0xa1b23c4d);
    CHECK(recording.version_major == 2);
    CHECK(recording.snaplen == 16 * 1024 * 1024 + 64);
    CHECK(recording.link_type == 147);
    CHECK_FALSE(recording.packets.empty());
  }
  auto listed = h.http.request("GET", "/v1/recording").json()["files"];
  CHECK(listed.size() == files.size());
}

TEST_CASE("21.4 recording: TLS connections are recorded as plaintext frames, flagged TLS") {
  TlsPki pki("rec");
  test::TempDir dir;
  TlsHarness t(pki, "none", record_args(dir, {"--set", "record.enabled=true"}));
  TlsDevice secure(hmac_client_context(pki), "rec-tls-1", t.tls_port, protocol::AuthMethod::Hmac);
  REQUIRE(secure.pump_until([&] { return secure.open(); }));
  TestDevice plain(t.h.device_options("rec-plain-1"));
  plain.connect_and_open();
  t.h.send_ok("rec-tls-1", "over tls");
  t.h.send_ok("rec-plain-1", "in the clear");
  REQUIRE(secure.pump_until([&] { return !secure.payloads().empty(); }));
  REQUIRE(plain.take_messages(1, kWait).size() == 1);
  secure.pump_until([] { return false; }, 100);  // the ack goes out
  secure.close();
  plain.close();

  const std::vector<RecordedPacket>*tls_packets = nullptr, *plain_packets = nullptr;
  Connections connections;
  REQUIRE(recorded_eventually(dir.path(), connections, [&](const Connections& c) {
    tls_packets = connection_of(c, "rec-tls-1");
    plain_packets = connection_of(c, "rec-plain-1");
    return has_closed_event(tls_packets) && has_closed_event(plain_packets);
  }));
  INFO("kited log:\n" << t.h.kited.log());
  for (const auto& packet : *tls_packets) CHECK(packet.flags == 1);
  for (const auto& packet : *plain_packets) CHECK(packet.flags == 0);
  CHECK(tls_packets->front().kind == kOpened);
  std::vector<Message> types;
  for (const auto& packet : *tls_packets)
    if (packet.kind == kFrame) types.push_back(decode(packet).type);  // plaintext: decodes
  REQUIRE(types.size() >= 5);
  CHECK(types[0] == Message::Hello);
  CHECK(types[1] == Message::Challenge);
  CHECK(types[2] == Message::Auth);
  CHECK(types[3] == Message::Welcome);
  CHECK(publish_payloads(*tls_packets) == std::vector<std::string>{"over tls"});
  CHECK(publish_payloads(*plain_packets) == std::vector<std::string>{"in the clear"});
}

}  // namespace kite::it

namespace kite::it {
namespace {

void write_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::trunc) << text;
}

std::size_t occurrences(const std::string& text, const std::string& word) {
  std::size_t count = 0;
  for (auto at = text.find(word); at != std::string::npos; at = text.find(word, at + 1)) ++count;
  return count;
}

// Polls `predicate` every 20 ms for up to kWait.
bool eventually(const std::function<bool()>& predicate) {
  for (const Millis deadline = now_ms() + kWait; now_ms() < deadline;) {
    if (predicate()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return predicate();
}

}  // namespace

TEST_CASE("21.5 recording: SIGHUP applies a changed [record] section, and only a changed one") {
  test::TempDir recordings, config_dir;
  const auto config = config_dir.path() / "kited.toml";
  write_file(config, "[record]\nenabled = false\n");
  Harness h(record_args(recordings, {"--config", config.string()}));
  auto status = [&] { return h.http.request("GET", "/v1/recording").json(); };
  auto reloads = [&] { return occurrences(h.kited.log(), "server.reloaded"); };
  CHECK(status()["enabled"] == false);

  write_file(config, "[record]\nenabled = true\ndevices = [\"hup-1\"]\n");
  h.kited.signal(SIGHUP);
  REQUIRE(eventually([&] { return reloads() == 1; }));
  CHECK(status()["enabled"] == true);
  CHECK(status()["devices"] == nlohmann::json{"hup-1"});

  // Switched off by the API; a reload for another reason (the section unchanged) keeps it off.
  REQUIRE(h.http.request("PUT", "/v1/recording", R"({"enabled":false})").status == 200);
  h.kited.signal(SIGHUP);
  REQUIRE(eventually([&] { return reloads() == 2; }));
  CHECK(status()["enabled"] == false);

  write_file(config, "[record]\nenabled = true\n");
  h.kited.signal(SIGHUP);
  REQUIRE(eventually([&] { return reloads() == 3; }));
  CHECK(status()["enabled"] == true);
  CHECK(status()["devices"].is_null());
  TestDevice device(h.device_options("hup-2"));
  device.connect_and_open();
  device.close();
  Connections connections;
  CHECK(recorded_eventually(recordings.path(), connections, [](const Connections& c) {
    return has_closed_event(connection_of(c, "hup-2"));
  }));
}

}  // namespace kite::it
