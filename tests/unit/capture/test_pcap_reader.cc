// PcapReader: both magics (µs, ns) in both byte orders, pcapng and other files refused with a
// clear reason, and every truncation or corrupt length an error naming its byte offset.
#include <doctest/doctest.h>

#include <string>

#include "capture_builders.h"
#include "kite/capture/pcap_reader.h"

namespace kite::capture::test {
namespace {

struct ReadAll {
  std::vector<Packet> packets;
  std::vector<Bytes> data;  // each packet's bytes (the reader reuses its buffer)
  PcapReader::Status end = PcapReader::Status::End;
  std::string error;
};

ReadAll read_all(const Bytes& file) {
  MemorySource source(file);
  PcapReader reader(source);
  ReadAll result;
  if (!reader.open()) {
    result.end = PcapReader::Status::Error;
    result.error = reader.error();
    return result;
  }
  Packet packet;
  PcapReader::Status status;
  while ((status = reader.next(packet)) == PcapReader::Status::Packet) {
    result.packets.push_back(packet);
    result.data.emplace_back(packet.data.begin(), packet.data.end());
  }
  result.end = status;
  result.error = reader.error();
  return result;
}

}  // namespace

TEST_CASE("pcap: microsecond and nanosecond files in both byte orders read the same") {
  for (bool nanosecond : {false, true}) {
    for (bool big_endian : {false, true}) {
      CAPTURE(nanosecond);
      CAPTURE(big_endian);
      PcapBuilder file(147, nanosecond, big_endian);
      const Bytes first = bytes_of("first packet");
      const Bytes second = bytes_of("2nd");
      file.add(1'700'000'000'123'456'789, first).add(1'700'000'001'000'001'000, second, 99);

      MemorySource source(file.bytes);
      PcapReader reader(source);
      REQUIRE(reader.open());
      CHECK(reader.header().link_type == 147);
      CHECK(reader.header().nanosecond == nanosecond);
      CHECK(reader.header().big_endian == big_endian);
      CHECK(reader.header().version_major == 2);
      CHECK(reader.header().snaplen == 262144);

      Packet packet;
      REQUIRE(reader.next(packet) == PcapReader::Status::Packet);
      // A microsecond file keeps the microseconds only.
      CHECK(packet.time_ns == (nanosecond ? 1'700'000'000'123'456'789 : 1'700'000'000'123'456'000));
      CHECK(Bytes(packet.data.begin(), packet.data.end()) == first);
      CHECK(packet.original_length == first.size());
      CHECK(packet.file_offset == kFileHeaderSize);
      REQUIRE(reader.next(packet) == PcapReader::Status::Packet);
      CHECK(packet.time_ns == 1'700'000'001'000'001'000);
      CHECK(Bytes(packet.data.begin(), packet.data.end()) == second);
      CHECK(packet.original_length == 99);
      CHECK(packet.file_offset == kFileHeaderSize + kRecordHeaderSize + first.size());
      CHECK(reader.next(packet) == PcapReader::Status::End);
      CHECK(reader.error().empty());
    }
  }
}

TEST_CASE("pcap: pcapng is refused with the command that converts it") {
  Bytes pcapng = {0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a};
  pcapng.resize(28, 0);
  const ReadAll result = read_all(pcapng);
  CHECK(result.end == PcapReader::Status::Error);
  CHECK(result.error.find("pcapng") != std::string::npos);
  CHECK(result.error.find("editcap -F pcap") != std::string::npos);
}

TEST_CASE("pcap: files that are not pcap are refused, saying why") {
  SUBCASE("empty") {
    const ReadAll result = read_all({});
    CHECK(result.end == PcapReader::Status::Error);
    CHECK(result.error.find("empty") != std::string::npos);
  }
  SUBCASE("text") {
    const ReadAll result = read_all(bytes_of("hello, this is not a capture at all"));
    CHECK(result.end == PcapReader::Status::Error);
    CHECK(result.error.find("not a pcap file") != std::string::npos);
    CHECK(result.error.find("0x68656c6c") != std::string::npos);  // "hell"
  }
  SUBCASE("a file header cut short") {
    Bytes cut = PcapBuilder(1).bytes;
    cut.resize(10);
    const ReadAll result = read_all(cut);
    CHECK(result.end == PcapReader::Status::Error);
    CHECK(result.error.find("cut short") != std::string::npos);
    CHECK(result.error.find("10 of its 24") != std::string::npos);
  }
  SUBCASE("another major version") {
    Bytes file = PcapBuilder(1).bytes;
    file[4] = 3;
    const ReadAll result = read_all(file);
    CHECK(result.end == PcapReader::Status::Error);
    CHECK(result.error.find("version 3.4") != std::string::npos);
  }
}

TEST_CASE("pcap: a file cut anywhere yields the whole records before the cut, then an error") {
  PcapBuilder builder(1);
  builder.add(1'000, bytes_of("abcdefghij")).add(2'000, bytes_of("klmnopqrstuvwxyz"));
  const Bytes& whole = builder.bytes;
  const std::size_t second = kFileHeaderSize + kRecordHeaderSize + 10;  // the second record
  for (std::size_t size = kFileHeaderSize; size < whole.size(); ++size) {
    CAPTURE(size);
    const ReadAll result = read_all(Bytes(whole.begin(), whole.begin() + size));
    const std::size_t whole_records = size >= second ? 1 : 0;
    CHECK(result.packets.size() == whole_records);
    if (size == kFileHeaderSize || size == second) {  // cut between records: a clean end
      CHECK(result.end == PcapReader::Status::End);
      continue;
    }
    REQUIRE(result.end == PcapReader::Status::Error);
    CHECK(result.error.find("cut short") != std::string::npos);
    const std::size_t record_at = size < second ? kFileHeaderSize : second;
    CHECK(result.error.find("at byte " + std::to_string(record_at)) != std::string::npos);
  }
}

TEST_CASE("pcap: a record claiming more than the limit is refused without reading it") {
  PcapBuilder builder(1);
  builder.add(1'000, bytes_of("ok"));
  Bytes file = builder.bytes;
  // A second record header claiming 4 GB.
  const Bytes lying = {0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0xff, 0xff, 0xff, 0xf0, 0xff, 0xff, 0xff};
  append(file, lying);
  const ReadAll result = read_all(file);
  CHECK(result.packets.size() == 1);
  REQUIRE(result.end == PcapReader::Status::Error);
  CHECK(result.error.find("claims 4294967280 bytes") != std::string::npos);
  CHECK(result.error.find("at byte " + std::to_string(kFileHeaderSize + kRecordHeaderSize + 2)) !=
        std::string::npos);

  // Just within the limit but cut short: an error, after reading only what is there.
  Bytes big = PcapBuilder(147).bytes;
  Bytes header;
  for (int i = 0; i < 8; ++i) header.push_back(0);
  put_le32(header, kMaxRecordLength);
  put_le32(header, kMaxRecordLength);
  append(big, header);
  append(big, bytes_of("only a few bytes"));
  const ReadAll cut = read_all(big);
  REQUIRE(cut.end == PcapReader::Status::Error);
  CHECK(cut.error.find("16 of its " + std::to_string(kMaxRecordLength)) != std::string::npos);
}

}  // namespace kite::capture::test
