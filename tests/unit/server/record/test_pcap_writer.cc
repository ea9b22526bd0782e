// The pcap writer, read back with an independent reader (pcap_reader.h): the global header and
// pseudo-header fields of docs/recording.md, frames byte-exact, rotation by size, max_files
// (earlier runs' files included), names never overwritten, and write errors.
#include <doctest/doctest.h>

#include <fstream>

#include "pcap_reader.h"
#include "record/pcap_writer.h"
#include "record_test_support.h"

using namespace kite::server::record;
using kite::test::make_frame;
using kite::test::pcap_files;
using kite::test::read_recording;
using kite::test::TempDir;
using Bytes = std::vector<std::uint8_t>;

namespace {

// 2025-03-04T05:06:07.123456789Z
constexpr std::int64_t kTime = 1741064767'123456789;

WriterOptions options_for(const TempDir& dir, std::uint64_t max_file_bytes = 1 << 20,
                          std::uint32_t max_files = 16, std::uint32_t worker = 3) {
  return {dir.path(), worker, max_file_bytes, max_files};
}

std::span<const std::uint8_t> text(const char* s) {
  return {reinterpret_cast<const std::uint8_t*>(s), std::strlen(s)};
}

}  // namespace

TEST_CASE("file names: UTC time of the first event, worker, sequence number") {
  CHECK(recording_file_name(kTime, 3, 7) == "kite-20250304T050607-w3-7.pcap");
  CHECK(recording_file_name(0, 0, 1) == "kite-19700101T000000-w0-1.pcap");
}

TEST_CASE("one file: the global header, each event's headers and payload byte-exact") {
  TempDir dir;
  const Bytes hello = make_frame(21, 1), welcome = make_frame(40, 2);
  {
    PcapWriter writer(options_for(dir));
    REQUIRE(writer.write(kTime,
                         {EventKind::opened, Direction::uplink, kFlagTls, 0x0102030405060708},
                         text("127.0.0.1:40000")));
    REQUIRE(writer.write(
        kTime + 1, {EventKind::frame, Direction::uplink, kFlagTls, 0x0102030405060708}, hello));
    REQUIRE(writer.write(kTime + 999'999'999,
                         {EventKind::frame, Direction::downlink, 0, 0xfedcba9876543210}, welcome));
    REQUIRE(writer.write(kTime + 2'000'000'000, {EventKind::closed, Direction::uplink, 0, 42}, {}));
    CHECK(writer.current().filename() == "kite-20250304T050607-w3-1.pcap");
    REQUIRE(writer.close());
  }
  const auto files = pcap_files(dir.path());
  REQUIRE(files.size() == 1);
  CHECK(files[0].filename() == "kite-20250304T050607-w3-1.pcap");
  const auto r = read_recording(files[0]);
  INFO(r.error);
  REQUIRE(r.ok());
  CHECK(r.magic == 0xa1b23c4d);
  CHECK(r.version_major == 2);
  CHECK(r.version_minor == 4);
  CHECK(r.thiszone == 0);
  CHECK(r.sigfigs == 0);
  CHECK(r.snaplen == 16 * 1024 * 1024 + 64);
  CHECK(r.link_type == 147);
  REQUIRE(r.packets.size() == 4);

  const auto& opened = r.packets[0];
  CHECK(opened.time_ns == kTime);
  CHECK(opened.version == 1);
  CHECK(opened.kind == 1);
  CHECK(opened.direction == 0);
  CHECK(opened.flags == 1);
  CHECK(opened.connection == 0x0102030405060708);
  CHECK(opened.reserved == 0);
  CHECK(opened.text() == "127.0.0.1:40000");
  CHECK(opened.captured == 16 + 15);
  CHECK(opened.original == opened.captured);

  CHECK(r.packets[1].kind == 0);
  CHECK(r.packets[1].direction == 0);
  CHECK(r.packets[1].time_ns == kTime + 1);
  CHECK(r.packets[1].payload == hello);

  CHECK(r.packets[2].kind == 0);
  CHECK(r.packets[2].direction == 1);
  CHECK(r.packets[2].flags == 0);
  CHECK(r.packets[2].connection == 0xfedcba9876543210);
  CHECK(r.packets[2].time_ns == kTime + 999'999'999);  // nanoseconds carry into the seconds
  CHECK(r.packets[2].payload == welcome);

  CHECK(r.packets[3].kind == 2);
  CHECK(r.packets[3].connection == 42);
  CHECK(r.packets[3].payload.empty());

  // The pseudo-header is big-endian on disk: the connection id's bytes in reading order.
  const Bytes raw = kite::test::file_bytes(files[0]);
  const Bytes id(raw.begin() + 24 + 16 + 4, raw.begin() + 24 + 16 + 12);
  CHECK(id == Bytes{1, 2, 3, 4, 5, 6, 7, 8});
}

TEST_CASE("events larger than the write buffer go out whole and in order") {
  TempDir dir;
  const Bytes small = make_frame(10, 1), big = make_frame(300'000, 2), after = make_frame(3, 3);
  PcapWriter writer(options_for(dir, 16 << 20));
  for (const Bytes* frame : {&small, &big, &after})
    REQUIRE(writer.write(kTime, {EventKind::frame, Direction::downlink, 0, 1}, *frame));
  REQUIRE(writer.close());
  const auto r = read_recording(pcap_files(dir.path()).at(0));
  REQUIRE(r.ok());
  REQUIRE(r.packets.size() == 3);
  CHECK(r.packets[0].payload == small);
  CHECK(r.packets[1].payload == big);
  CHECK(r.packets[2].payload == after);
}

TEST_CASE("rotation: a file is closed before an event would pass max_file_bytes") {
  TempDir dir;
  constexpr std::uint64_t kMax = 10'000;
  constexpr int kEvents = 60;
  std::vector<Bytes> frames;
  {
    PcapWriter writer(options_for(dir, kMax));
    for (int i = 0; i < kEvents; ++i) {
      frames.push_back(
          make_frame(100 + 37 * static_cast<std::size_t>(i), static_cast<std::uint8_t>(i)));
      REQUIRE(writer.write(kTime + i, {EventKind::frame, Direction::uplink, 0, 5}, frames.back()));
    }
    REQUIRE(writer.close());
  }
  const auto files = pcap_files(dir.path());
  std::size_t total_bytes = 24;
  for (const auto& frame : frames) total_bytes += record_size(frame.size());
  CHECK(files.size() >= total_bytes / kMax);
  std::vector<Bytes> read_back;
  for (std::size_t i = 0; i < files.size(); ++i) {
    CAPTURE(files[i]);
    CHECK(files[i].filename().string().ends_with("-w3-" + std::to_string(i + 1) + ".pcap"));
    CHECK(std::filesystem::file_size(files[i]) <= kMax);
    const auto r = read_recording(files[i]);
    REQUIRE(r.ok());
    CHECK(r.link_type == 147);
    REQUIRE_FALSE(r.packets.empty());
    for (const auto& packet : r.packets) read_back.push_back(packet.payload);
    // Full: the next file's first event would not have fitted.
    if (i + 1 < files.size()) {
      const auto next = read_recording(files[i + 1]);
      REQUIRE_FALSE(next.packets.empty());
      CHECK(std::filesystem::file_size(files[i]) + record_size(next.packets[0].payload.size()) >
            kMax);
    }
  }
  CHECK(read_back == frames);
}

TEST_CASE("an event larger than max_file_bytes gets a file of its own") {
  TempDir dir;
  PcapWriter writer(options_for(dir, 1000));
  const Bytes a = make_frame(10, 1), huge = make_frame(5000, 2), b = make_frame(10, 3);
  for (const Bytes* frame : {&a, &huge, &b})
    REQUIRE(writer.write(kTime, {EventKind::frame, Direction::uplink, 0, 1}, *frame));
  REQUIRE(writer.close());
  const auto files = pcap_files(dir.path());
  REQUIRE(files.size() == 3);
  CHECK(read_recording(files[1]).packets.at(0).payload == huge);
}

TEST_CASE("max_files: the oldest of this worker's files go, earlier runs' included") {
  TempDir dir;
  const Bytes frame = make_frame(900, 1);  // one event per file at max 1000 bytes
  std::ofstream(dir.path() / "kite-20000101T000000-w3-1.pcap") << "an earlier run";
  std::ofstream(dir.path() / "kite-20000101T000000-w4-1.pcap") << "another worker";
  std::ofstream(dir.path() / "notes.txt") << "not a recording";
  {
    PcapWriter writer(options_for(dir, 1000, 3));
    for (int i = 0; i < 5; ++i)
      REQUIRE(writer.write(kTime + i, {EventKind::frame, Direction::uplink, 0, 1}, frame));
    CHECK(writer.files().size() == 3);
    CHECK(writer.files().back() == writer.current());
    REQUIRE(writer.close());
  }
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path()))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  // The earlier run's w3-1 went first; n went on from it (2..6), and 2 and 3 went next.
  CHECK(names == std::vector<std::string>{"kite-20000101T000000-w4-1.pcap",
                                          "kite-20250304T050607-w3-4.pcap",
                                          "kite-20250304T050607-w3-5.pcap",
                                          "kite-20250304T050607-w3-6.pcap", "notes.txt"});

  // A second writer for the same worker (a restart) counts these three.
  PcapWriter again(options_for(dir, 1000, 3));
  REQUIRE(again.write(kTime + 10, {EventKind::frame, Direction::uplink, 0, 1}, frame));
  REQUIRE(again.close());
  CHECK_FALSE(std::filesystem::exists(dir.path() / "kite-20250304T050607-w3-4.pcap"));
  CHECK(std::filesystem::exists(dir.path() / "kite-20250304T050607-w3-5.pcap"));
  // Its n goes on from the highest found: in the same second, it still sorts as the newest.
  CHECK(std::filesystem::exists(dir.path() / "kite-20250304T050607-w3-7.pcap"));
  CHECK(pcap_files(dir.path()).size() == 4);
}

TEST_CASE("a name that exists is never overwritten: the next n is taken") {
  TempDir dir;
  // Not a recording (a directory), so not counted, but its name is taken.
  std::filesystem::create_directory(dir.path() / "kite-20250304T050607-w3-1.pcap");
  std::ofstream(dir.path() / "kite-20250304T050607-w3-1.pcap" / "inside") << "keep me";
  PcapWriter writer(options_for(dir));
  REQUIRE(writer.write(kTime, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(1, 1)));
  CHECK(writer.current().filename() == "kite-20250304T050607-w3-2.pcap");
  REQUIRE(writer.close());
  CHECK(std::filesystem::exists(dir.path() / "kite-20250304T050607-w3-1.pcap" / "inside"));
}

TEST_CASE("events reach the file at flush(); the global header at once") {
  TempDir dir;
  PcapWriter writer(options_for(dir));
  REQUIRE(writer.write(kTime, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(8, 1)));
  CHECK(writer.has_buffered());
  const auto empty = read_recording(writer.current());  // the global header is there at once
  CHECK(empty.ok());
  CHECK(empty.link_type == 147);
  CHECK(empty.packets.empty());
  REQUIRE(writer.flush());
  CHECK_FALSE(writer.has_buffered());
  CHECK(read_recording(writer.current()).packets.size() == 1);
}

TEST_CASE("write errors are final and say where and why") {
  TempDir dir;
  SUBCASE("the directory cannot be made: a file is in the way") {
    std::ofstream(dir.path() / "taken") << "x";
    PcapWriter writer({dir.path() / "taken" / "recordings", 0, 1 << 20, 4});
    CHECK_FALSE(writer.write(kTime, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(1, 1)));
    CHECK(writer.failed());
    CHECK(writer.error().find("cannot create the directory") != std::string::npos);
    CHECK(writer.error().find("taken") != std::string::npos);
    CHECK_FALSE(writer.write(kTime, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(1, 1)));
  }
  SUBCASE("the directory disappears: the next file cannot be created") {
    const auto sub = dir.path() / "recordings";
    PcapWriter writer({sub, 0, 1000, 4});
    REQUIRE(writer.write(kTime, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(900, 1)));
    std::filesystem::remove_all(sub);
    CHECK_FALSE(
        writer.write(kTime, {EventKind::frame, Direction::uplink, 0, 1}, make_frame(900, 2)));
    CHECK(writer.failed());
    CHECK(writer.error().find("cannot create " + sub.string()) != std::string::npos);
    CHECK(writer.error().find("No such file or directory") != std::string::npos);
    CHECK_FALSE(writer.flush());
    CHECK_FALSE(std::filesystem::exists(sub));  // not made again behind the operator's back
  }
}
