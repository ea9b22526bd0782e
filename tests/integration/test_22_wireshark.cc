// The Wireshark dissector (tools/wireshark/kite.lua) run by the real tshark on traffic of a real
// kited: a recording kited wrote (link type 147, docs/recording.md), and a tcpdump capture of its
// port where one message spans several TCP segments. The fields tshark prints for each packet
// are checked against what the test sent.
#include <unistd.h>

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "child_process.h"
#include "harness.h"
#include "tcpdump.h"
#include "test_pki.h"

namespace kite::it {
namespace {

std::string tshark_path() {
  for (const char* path : {"/usr/bin/tshark", "/usr/local/bin/tshark"})
    if (::access(path, X_OK) == 0) return path;
  return {};
}

// One packet as tshark shows it: the fields asked for, by name (several values of one field,
// as when a TCP segment carries two frames, are joined with ',').
using Row = std::map<std::string, std::string>;

const std::vector<std::string> kFields = {
    "kiterec.kind", "kiterec.direction", "kiterec.connection", "kiterec.tls", "kiterec.text",
    "kite.type",    "kite.device_id",    "kite.seq",           "kite.length", "kite.payload_text",
    "kite.topic",   "kite.compressed",   "_ws.expert.message"};

// tshark with the dissector on `files`, one Row per packet (only packets the dissector claims).
std::vector<Row> dissect(const std::vector<std::string>& files,
                         const std::vector<std::string>& extra_args = {}) {
  const std::string tshark = tshark_path();
  REQUIRE_MESSAGE(!tshark.empty(), "tshark is not installed (the setup script installs it)");
  std::vector<std::string> args = {"-X", std::string("lua_script:") + KITE_DISSECTOR_PATH,
                                   "-Y", "kite || kiterec",
                                   "-T", "fields",
                                   "-E", "separator=|"};
  for (const auto& field : kFields) args.insert(args.end(), {"-e", field});
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  std::vector<Row> rows;
  for (const auto& file : files) {
    std::vector<std::string> with_file = args;
    with_file.insert(with_file.end(), {"-r", file});
    ChildProcess process("tshark", tshark, with_file);
    const auto code = process.wait_exit(20'000);
    INFO("tshark stderr: " << process.err());
    REQUIRE(code);
    REQUIRE(*code == 0);
    std::istringstream lines(process.out());
    for (std::string line; std::getline(lines, line);) {
      Row row;
      std::size_t at = 0;
      for (const auto& field : kFields) {
        const std::size_t end = line.find('|', at);
        row[field] = line.substr(at, end == std::string::npos ? std::string::npos : end - at);
        at = end == std::string::npos ? line.size() : end + 1;
      }
      rows.push_back(std::move(row));
    }
  }
  return rows;
}

std::vector<std::string> pcap_files(const std::filesystem::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    if (entry.path().extension() == ".pcap") files.push_back(entry.path().string());
  return files;
}

bool has_row(const std::vector<Row>& rows, const Row& wanted) {
  for (const auto& row : rows) {
    bool all = true;
    for (const auto& [field, value] : wanted) all = all && row.at(field) == value;
    if (all) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("22.1 wireshark: tshark with kite.lua decodes a recording kited wrote") {
  test::TempDir dir;
  Harness h({"--set", "record.enabled=true", "--set", "record.directory=" + dir.path().string()});
  TestDevice device(h.device_options("ws-dev-1"));
  device.connect_and_open();
  h.send_ok("ws-dev-1", "hello wireshark");
  h.send_ok("ws-dev-1", "second message");
  REQUIRE(device.take_messages(2, kWait).size() == 2);
  h.wait_device("ws-dev-1", [](const auto& b) { return b["acked_through"] == 2; }, {&device});
  device.close();

  // kited flushes its recordings about once a second: read until the closed event is there.
  std::vector<Row> rows;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    rows = dissect(pcap_files(dir.path()));
    if (has_row(rows, {{"kiterec.kind", "2"}})) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  std::ostringstream shown;
  for (const auto& row : rows) {
    for (const auto& [field, value] : row) shown << field << '=' << value << ' ';
    shown << '\n';
  }
  INFO("tshark rows:\n" << shown.str());
  REQUIRE(has_row(rows, {{"kiterec.kind", "1"}, {"kiterec.direction", "0"}}));  // opened
  REQUIRE(has_row(rows, {{"kiterec.kind", "2"}}));                              // closed

  // Every packet belongs to the one connection, and none is malformed.
  const std::string connection = rows.front().at("kiterec.connection");
  for (const auto& row : rows) {
    CHECK(row.at("kiterec.connection") == connection);
    CHECK(row.at("kiterec.tls") == "0");
    CHECK(row.at("_ws.expert.message").empty());
  }
  // The conversation: Hello (up) with the device id, Challenge, Auth, Welcome, both messages down
  // with their seqs and payloads, the device's cumulative ack up.
  CHECK(has_row(rows,
                {{"kiterec.direction", "0"}, {"kite.type", "1"}, {"kite.device_id", "ws-dev-1"}}));
  CHECK(has_row(rows, {{"kiterec.direction", "1"}, {"kite.type", "2"}}));
  CHECK(has_row(rows, {{"kiterec.direction", "0"}, {"kite.type", "3"}}));
  CHECK(has_row(rows, {{"kiterec.direction", "1"}, {"kite.type", "4"}}));
  CHECK(has_row(rows, {{"kiterec.direction", "1"},
                       {"kite.type", "5"},
                       {"kite.seq", "1"},
                       {"kite.payload_text", "hello wireshark"}}));
  CHECK(has_row(rows, {{"kiterec.direction", "1"},
                       {"kite.type", "5"},
                       {"kite.seq", "2"},
                       {"kite.payload_text", "second message"}}));
  CHECK(has_row(rows, {{"kiterec.direction", "0"}, {"kite.type", "6"}, {"kite.seq", "2"}}));
}

TEST_CASE("22.2 wireshark: tshark with kite.lua reassembles frames across TCP segments") {
  Harness h;
  Tcpdump capture(h.kited.device_port());
  TestDevice device(h.device_options("ws-dev-2"));
  device.connect_and_open();
  // Larger than loopback's 64 KiB segments: the frame arrives in several, and only the last
  // one's packet carries the reassembled frame.
  // Random letters: kited compresses the body (zstd), but only to about three quarters.
  std::string big(150'000, ' ');
  std::mt19937 random(22);
  for (char& c : big) c = static_cast<char>('a' + random() % 26);
  h.send_ok("ws-dev-2", "small one");
  h.send_ok("ws-dev-2", big);
  REQUIRE(device.take_messages(2, kWait).size() == 2);
  h.wait_device("ws-dev-2", [](const auto& b) { return b["acked_through"] == 2; }, {&device});
  device.close();
  capture.stop();

  const std::string port = std::to_string(h.kited.device_port());
  const auto rows = dissect({capture.file().string()}, {"-d", "tcp.port==" + port + ",kite"});
  std::ostringstream shown;
  for (const auto& row : rows) shown << row.at("kite.type") << ' ' << row.at("kite.length") << '\n';
  INFO("tshark rows (type, length):\n" << shown.str());
  for (const auto& row : rows) CHECK(row.at("_ws.expert.message").empty());
  CHECK(has_row(rows, {{"kite.type", "1"}, {"kite.device_id", "ws-dev-2"}}));
  CHECK(has_row(rows, {{"kite.type", "4"}}));
  CHECK(has_row(rows, {{"kite.type", "5"}, {"kite.seq", "1"}, {"kite.payload_text", "small one"}}));
  // The big message: one frame of over 64 KiB, whole: either its compressed body (which Lua
  // cannot inflate), or, had kited sent it as it is, the Publish with the whole payload.
  bool big_seen = false;
  for (const auto& row : rows) {
    const std::string& length = row.at("kite.length");
    if (length.empty() || length.find(',') != std::string::npos || std::stoul(length) < 65536)
      continue;
    big_seen = row.at("kite.compressed") == "1" || row.at("kite.payload_text") == big;
  }
  CHECK(big_seen);
  CHECK(has_row(rows, {{"kite.type", "6"}, {"kite.seq", "2"}}));
}

}  // namespace kite::it
