// The session file (ClientOptions::session_file): its encoding refuses anything it did not
// write, its writes are atomic (a leftover temporary file changes nothing), and start() turns
// an unusable file into an error that says what to do.
#include "session_file.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "kite/client.h"
#include "session_codec.h"

namespace kite::sdk {
namespace {

SavedSession example() {
  SavedSession s;
  s.device_id = "thermostat-42";
  s.store_epoch = 7;
  s.resume_token = std::string(32, '\x01');
  s.last_received_seq = 1041;
  s.next_uplink_seq = 19;
  s.entries.push_back({true, 17, 0, 1200, "telemetry", "application/json", "{\"c\":21.5}"});
  s.entries.push_back({false, 0, 60'000, 5, "status", "", "online"});
  return s;
}

struct Folder {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("kite-sdk-session-" + std::to_string(::getpid()));
  Folder() { std::filesystem::create_directories(path); }
  ~Folder() { std::filesystem::remove_all(path); }
};

void overwrite(const std::filesystem::path& file, const std::vector<std::uint8_t>& bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("session file: what is written reads back the same") {
  const SavedSession s = example();
  SavedSession read;
  REQUIRE(decode_session(encode_session(s), read).empty());
  CHECK(read.device_id == s.device_id);
  CHECK(read.store_epoch == 7);
  CHECK(read.resume_token == s.resume_token);
  CHECK(read.last_received_seq == 1041);
  CHECK(read.next_uplink_seq == 19);
  REQUIRE(read.entries.size() == 2);
  CHECK(read.entries[0].seq == 17);
  CHECK(read.entries[0].payload == "{\"c\":21.5}");
  CHECK(read.entries[0].content_type == "application/json");
  CHECK_FALSE(read.entries[1].at_least_once);
  CHECK(read.entries[1].ttl_ms == 60'000);
  CHECK(encode_session(read) == encode_session(s));
}

TEST_CASE("session file: the smallest entries read back (an empty topic, a 1-byte payload)") {
  SavedSession s;
  s.device_id = "d";
  s.next_uplink_seq = 11;
  for (std::uint64_t seq = 1; seq <= 10; ++seq) s.entries.push_back({true, seq, 0, 0, "", "", "1"});
  s.entries.push_back({false, 0, 0, 0, "", "", ""});
  SavedSession read;
  REQUIRE(decode_session(encode_session(s), read).empty());
  CHECK(read.entries.size() == 11);
  CHECK(encode_session(read) == encode_session(s));
}

TEST_CASE("session file: every truncation and every flipped bit is refused") {
  const auto bytes = encode_session(example());
  SavedSession read;
  for (std::size_t size = 0; size < bytes.size(); ++size)
    CHECK_FALSE(decode_session(std::span(bytes).first(size), read).empty());
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    auto damaged = bytes;
    damaged[at] ^= 0x10;
    CAPTURE(at);
    CHECK_FALSE(decode_session(damaged, read).empty());
  }
  auto longer = bytes;
  longer.push_back(0);
  CHECK(decode_session(longer, read) == "truncated or extended");
}

TEST_CASE("session file: a sealed body that lies is refused, digest or not") {
  SavedSession read;
  // An entry count far beyond what the body holds: refused before anything is allocated.
  std::vector<std::uint8_t> body = {1, 0, 0, 0, 'd'};
  body.resize(body.size() + 8 + 8 + 4 + 8 + 8, 0);  // written_at, epoch, token, seqs
  body[5 + 8 + 8 + 4 + 8] = 2;                      // next_uplink_seq = 2
  body.insert(body.end(), {0xff, 0xff, 0xff, 0xff});
  CHECK(decode_session(seal_session_body(body), read) == "the entry count does not fit the file");
  // An entry whose seq is not below the next uplink seq would be sent twice under two seqs.
  SavedSession s = example();
  s.entries[0].seq = 19;
  CHECK(decode_session(encode_session(s), read) ==
        "an entry's seq is not below the next uplink seq");
}

TEST_CASE("session file: written atomically; none yet is a first start, not an error") {
  Folder folder;
  const auto file = folder.path / "session";
  SessionFile session_file(file.string(), 60);
  SavedSession read;
  std::string error;
  CHECK_FALSE(session_file.load(read, error));
  CHECK(error.empty());
  SavedSession s = example();
  REQUIRE(session_file.write(s, 0, /*batched=*/true).empty());
  CHECK(session_file.writes() == 1);
  CHECK(session_file.next_write_at() == 1'000);  // 60 a minute
  CHECK(s.written_at_unix_ms > 0);
  // A forced write (a publish) is outside the budget and does not put the next batched one off.
  REQUIRE(session_file.write(s, 500, /*batched=*/false).empty());
  CHECK(session_file.writes() == 2);
  CHECK(session_file.next_write_at() == 1'000);
  // A crash halfway through a later write leaves its temporary file: the old one still counts.
  overwrite(folder.path / "session.new", {'K', 'S'});
  REQUIRE(session_file.load(read, error));
  CHECK(read.last_received_seq == 1041);
  CHECK_FALSE(std::filesystem::exists(folder.path / "session.new.new"));
}

TEST_CASE("session file: start() refuses an unusable file and says what to do") {
  Folder folder;
  const auto file = folder.path / "session";
  ClientOptions options;
  options.device_id = "thermostat-42";
  options.key = std::string(64, 'a');
  options.session_file = file.string();

  SUBCASE("damaged") {
    auto bytes = encode_session(example());
    bytes[20] ^= 1;
    overwrite(file, bytes);
    Client client(options);
    CHECK(client.start() == Error::Invalid);
    CHECK(client.start_error().find(file.string()) != std::string::npos);
    CHECK(client.start_error().find("checksum") != std::string::npos);
    CHECK(client.start_error().find("delete it") != std::string::npos);
  }
  SUBCASE("another device's") {
    overwrite(file, encode_session(example()));
    options.device_id = "lamp-1";
    Client client(options);
    CHECK(client.start() == Error::Invalid);
    CHECK(client.start_error().find("thermostat-42") != std::string::npos);
  }
  SUBCASE("a budget that would starve the keep-alive") {
    options.session_writes_per_minute = 2;  // 30 s apart, keep-alive 30 s
    Client client(options);
    CHECK(client.start() == Error::Invalid);
    CHECK(client.start_error().find("session_writes_per_minute") != std::string::npos);
  }
  SUBCASE("a folder that is not there: said by start(), not by every connection") {
    options.session_file = (folder.path / "missing" / "session").string();
    Client client(options);
    CHECK(client.start() == Error::Invalid);
    CHECK(client.start_error().find("must exist and be writable") != std::string::npos);
  }
  SUBCASE("a first start writes the file at once") {
    Client client(options);
    CHECK(client.start() == Error::Ok);
    CHECK(std::filesystem::exists(file));
    client.stop();
  }
  SUBCASE("a folder that cannot be read") {
    options.session_file = folder.path.string();  // a directory: open succeeds, read fails
    Client client(options);
    CHECK(client.start() == Error::Invalid);
    CHECK(client.start_error().find("session_file") != std::string::npos);
  }
}

}  // namespace kite::sdk
