// A worker's recorder and a connection's, read back from the files: the events of a connection
// in order, the device list (held until the hello names the device), connections picked up in the
// middle, the flush tick, and a write error switching the worker's recording off.
#include <doctest/doctest.h>

#include "pcap_reader.h"
#include "record/connection_recorder.h"
#include "record_test_support.h"

using namespace kite::server::record;
using kite::test::make_frame;
using kite::test::pcap_files;
using kite::test::read_recording;
using kite::test::RecordedPacket;
using kite::test::TempDir;
using Bytes = std::vector<std::uint8_t>;
using Choice = WorkerRecorder::Choice;

namespace {

std::shared_ptr<const RecordSettings> settings(const TempDir& dir, bool enabled,
                                               std::vector<std::string> devices = {}) {
  RecordSettings s;
  s.enabled = enabled;
  s.directory = dir.path();
  s.choose(std::move(devices));
  return std::make_shared<const RecordSettings>(s);
}

// Every packet in the directory, file after file.
std::vector<RecordedPacket> recorded(const TempDir& dir) {
  std::vector<RecordedPacket> packets;
  for (const auto& file : pcap_files(dir.path())) {
    auto r = read_recording(file);
    REQUIRE(r.ok());
    for (auto& packet : r.packets) packets.push_back(std::move(packet));
  }
  return packets;
}

Bytes join(const Bytes& a, const Bytes& b) {
  Bytes out = a;
  out.insert(out.end(), b.begin(), b.end());
  return out;
}

}  // namespace

TEST_CASE("every connection: opened, frames both ways cut whole, closed, in order") {
  TempDir dir;
  const Bytes hello = make_frame(30, 1), auth = make_frame(12, 2), challenge = make_frame(50, 3),
              welcome = make_frame(20, 4);
  {
    WorkerRecorder worker(0, settings(dir, true));
    ConnectionRecorder connection(worker, 77, /*tls=*/true, /*from_start=*/true);
    CHECK_FALSE(connection.holding());
    REQUIRE(connection.opened("127.0.0.1:5555"));
    const Bytes stream = join(hello, auth);
    REQUIRE(connection.uplink(std::span(stream).first(10), true));  // hello split
    REQUIRE(connection.uplink(std::span(stream).subspan(10, hello.size() - 10), false));
    REQUIRE(connection.downlink(challenge));
    REQUIRE(connection.uplink(std::span(stream).subspan(hello.size()), true));
    REQUIRE(connection.downlink(welcome));
    connection.set_close_reason("peer closed");
    connection.closed();
    CHECK(worker.counters().frames.value() == 4);
    CHECK(worker.counters().bytes.value() ==
          hello.size() + auth.size() + challenge.size() + welcome.size());
  }  // the worker recorder's close flushes
  const auto packets = recorded(dir);
  REQUIRE(packets.size() == 6);
  CHECK(packets[0].kind == 1);
  CHECK(packets[0].text() == "127.0.0.1:5555");
  CHECK(packets[1].payload == hello);
  CHECK(packets[1].direction == 0);
  CHECK(packets[2].payload == challenge);
  CHECK(packets[2].direction == 1);
  CHECK(packets[3].payload == auth);
  CHECK(packets[4].payload == welcome);
  CHECK(packets[5].kind == 2);
  CHECK(packets[5].text() == "peer closed");
  for (std::size_t i = 0; i < packets.size(); ++i) {
    CAPTURE(i);
    CHECK(packets[i].connection == 77);
    CHECK(packets[i].flags == kFlagTls);
    if (i > 0) CHECK(packets[i].time_ns >= packets[i - 1].time_ns);
  }
}

TEST_CASE("a device list: events held until the hello names a chosen device") {
  TempDir dir;
  WorkerRecorder worker(1, settings(dir, true, {"lamp-2", "lamp-1"}));
  CHECK(worker.choose("") == Choice::wait);
  CHECK(worker.choose("lamp-1") == Choice::record);
  CHECK(worker.choose("lamp-3") == Choice::skip);
  const Bytes hello = make_frame(64, 1), challenge = make_frame(48, 2);

  ConnectionRecorder chosen(worker, 1, false, true);
  ConnectionRecorder other(worker, 2, false, true);
  CHECK(chosen.holding());
  REQUIRE(chosen.opened("127.0.0.1:1"));
  REQUIRE(other.opened("127.0.0.1:2"));
  REQUIRE(chosen.uplink(hello, true));
  REQUIRE(other.uplink(hello, true));
  worker.tick(10'000);
  CHECK(recorded(dir).empty());  // nothing written while the device is unknown
  CHECK_FALSE(other.identified("lamp-3"));
  REQUIRE(chosen.identified("lamp-1"));
  CHECK_FALSE(chosen.holding());
  REQUIRE(chosen.downlink(challenge));
  chosen.closed();
  worker.close();
  const auto packets = recorded(dir);
  REQUIRE(packets.size() == 4);
  CHECK(packets[0].kind == 1);
  CHECK(packets[1].payload == hello);
  CHECK(packets[2].payload == challenge);
  CHECK(packets[3].kind == 2);
  for (const auto& packet : packets) CHECK(packet.connection == 1);
}

TEST_CASE("a connection that never names a chosen device within a handshake's bytes is dropped") {
  TempDir dir;
  WorkerRecorder worker(0, settings(dir, true, {"lamp-1"}));
  ConnectionRecorder connection(worker, 1, false, true);
  REQUIRE(connection.opened("127.0.0.1:1"));
  const Bytes frame = make_frame(4000, 1);
  bool recorded_so_far = true;
  std::size_t fed = 0;
  while (recorded_so_far && fed < 10 * kMaxHeldBytes) {
    recorded_so_far = connection.uplink(frame, true);
    fed += frame.size();
  }
  CHECK_FALSE(recorded_so_far);
  CHECK(fed <= kMaxHeldBytes + frame.size());
  connection.closed();  // still held: nothing written
  worker.close();
  CHECK(recorded(dir).empty());
}

TEST_CASE("picked up in the middle: uplink from the next read that starts a frame") {
  TempDir dir;
  WorkerRecorder worker(0, settings(dir, true));
  const Bytes first = make_frame(100, 1), second = make_frame(10, 2);
  ConnectionRecorder connection(worker, 9, false, /*from_start=*/false);
  REQUIRE(connection.reconsider("lamp-1"));
  // The tail of a frame that began before recording: skipped, not cut into a false frame.
  REQUIRE(connection.uplink(std::span(first).subspan(40), false));
  REQUIRE(connection.downlink(second));  // downlink is whole frames from the start
  REQUIRE(connection.uplink(second, true));
  worker.close();
  const auto packets = recorded(dir);
  REQUIRE(packets.size() == 2);
  CHECK(packets[0].direction == 1);
  CHECK(packets[1].direction == 0);
  CHECK(packets[1].payload == second);
}

TEST_CASE("settings change under a connection: a device list comes, then it is chosen") {
  TempDir dir;
  WorkerRecorder worker(0, settings(dir, true));
  ConnectionRecorder connection(worker, 3, false, true);
  REQUIRE(connection.opened("127.0.0.1:3"));
  worker.apply(settings(dir, true, {"lamp-1"}));
  REQUIRE(connection.reconsider(""));  // no hello yet: held from now
  CHECK(connection.holding());
  const Bytes hello = make_frame(16, 1);
  REQUIRE(connection.uplink(hello, true));
  REQUIRE(connection.identified("lamp-1"));
  worker.apply(settings(dir, true, {"lamp-2"}));
  CHECK_FALSE(connection.reconsider("lamp-1"));  // no longer chosen: the owner drops it
  worker.apply(settings(dir, false));
  CHECK_FALSE(worker.active());
  CHECK_FALSE(connection.uplink(hello, true));
  const auto packets = recorded(dir);
  REQUIRE(packets.size() == 2);
  CHECK(packets[0].kind == 1);
  CHECK(packets[1].payload == hello);
}

TEST_CASE("buffered events reach the file on the flush tick, about once a second") {
  TempDir dir;
  WorkerRecorder worker(0, settings(dir, true));
  REQUIRE(worker.write(1, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(8, 1)));
  const auto file = worker.writer()->current();
  worker.tick(500);
  CHECK(read_recording(file).packets.empty());
  worker.tick(1000);
  CHECK(read_recording(file).packets.size() == 1);
  REQUIRE(worker.write(1, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(8, 2)));
  worker.tick(1500);
  CHECK(read_recording(file).packets.size() == 1);
  worker.tick(2000);
  CHECK(read_recording(file).packets.size() == 2);
}

TEST_CASE("a write error is counted, switches the worker's recording off, and on again retries") {
  TempDir dir;
  std::ofstream(dir.path() / "taken") << "x";
  RecordSettings bad;
  bad.enabled = true;
  bad.directory = dir.path() / "taken" / "recordings";
  WorkerRecorder worker(2, std::make_shared<const RecordSettings>(bad));
  ConnectionRecorder connection(worker, 1, false, true);
  CHECK_FALSE(connection.opened("127.0.0.1:1"));  // the first event meets the error
  CHECK_FALSE(worker.active());
  CHECK(worker.counters().errors.value() == 1);
  CHECK(worker.choose("lamp-1") == Choice::skip);
  CHECK_FALSE(worker.write(1, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(8, 1)));
  CHECK(worker.counters().errors.value() == 1);  // once, not per event

  worker.apply(settings(dir, true));  // switched on again, somewhere writable
  CHECK(worker.active());
  REQUIRE(worker.write(1, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(8, 1)));
  worker.close();
  CHECK(recorded(dir).size() == 1);
}
