// Store hardening: 64-bit TTLs, QoS 1 uplink seqs written once per loop turn, messages too large
// for their device, the idempotency records' cap, a full disk freed without a restart, and
// secrets at rest (file and directory modes, the warning on readable key files).
#include <sys/mount.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "harness.h"

namespace kite::it {
namespace {

// One sample of /metrics ("name" or "name{labels}" exactly as exposed); -1 when absent.
double sample_value(const Harness& h, const std::string& sample) {
  auto response = h.http.request("GET", "/metrics");
  REQUIRE(response.status == 200);
  std::istringstream lines(response.body);
  std::string line;
  while (std::getline(lines, line))
    if (line.starts_with(sample + " ")) return std::stod(line.substr(sample.size() + 1));
  return -1;
}

mode_t mode_of(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// A tmpfs of `size` mounted on `path` for one test; detached (lazily: kited may still hold files
// there) when the test ends, also when it fails.
struct SmallDisk {
  std::filesystem::path path;
  SmallDisk(std::filesystem::path where, const std::string& size) : path(std::move(where)) {
    std::filesystem::create_directories(path);
    const std::string options = "size=" + size + ",mode=0700";
    REQUIRE_MESSAGE(::mount("tmpfs", path.c_str(), "tmpfs", 0, options.c_str()) == 0,
                    "mount tmpfs: " << std::strerror(errno));
  }
  ~SmallDisk() { ::umount2(path.c_str(), MNT_DETACH); }
  SmallDisk(const SmallDisk&) = delete;
  SmallDisk& operator=(const SmallDisk&) = delete;
};

// Writes `file` until the filesystem is full.
void fill(const std::filesystem::path& file) {
  std::FILE* out = std::fopen(file.c_str(), "wb");
  REQUIRE(out != nullptr);
  std::setvbuf(out, nullptr, _IONBF, 0);
  const std::string block(4096, 'f');
  while (std::fwrite(block.data(), 1, block.size(), out) == block.size()) {
  }
  std::fclose(out);
}

}  // namespace

TEST_CASE(
    "27.1 store: a 60-day default TTL is kept 64-bit; the wire's ttl is clamped, not wrapped") {
  Harness h({"--set", "store.default_ttl_ms=5184000000"});
  TestDevice device(h.device_options("ttl-1"));
  device.connect_and_open();
  h.send_ok("ttl-1", "long-lived");                        // the 60-day default
  h.send_ok("ttl-1", "short-lived", {{"ttl_ms", 60000}});  // its own TTL
  auto messages = device.take_messages(2, kWait);
  REQUIRE(messages.size() == 2);
  // 60 days is more than a u32 of milliseconds: the most the wire can say, not 889,032,704.
  CHECK(messages[0].ttl_ms == std::numeric_limits<std::uint32_t>::max());
  CHECK(messages[1].ttl_ms > 50'000);
  CHECK(messages[1].ttl_ms <= 60'000);
}

TEST_CASE("27.2 store: a burst of QoS 1 uplinks is one store write, acknowledged after it") {
  constexpr int kBurst = 50;
  Harness h({"--set", "store.durability=sync"});
  auto options = h.device_options("burst-1");
  TestDevice device(options);
  device.connect_and_open();
  const double writes_before = sample_value(h, "kite_store_writes_total");
  REQUIRE(writes_before >= 0);
  for (int i = 1; i < kBurst; ++i)  // gathered, then sent in one write with the last one
    REQUIRE(device.publish_to("", numbered("u", i), protocol::Qos::AtLeastOnce, {}, false) ==
            protocol::SendStatus::Sent);
  REQUIRE(device.publish(numbered("u", kBurst)) == protocol::SendStatus::Sent);
  REQUIRE(device.pump_until(now_ms() + kWait, [&] {
    return device.uplink_acked_through() >= static_cast<std::uint64_t>(kBurst);
  }));
  const double writes = sample_value(h, "kite_store_writes_total") - writes_before;
  INFO("store writes for " << kBurst << " uplinks: " << writes);
  CHECK(writes >= 1);
  CHECK(writes <= 3);  // one per loop turn that read some of them, not one per message

  h.kited.kill9();  // what was acknowledged must have been written
  h.kited.restart(/*same_ports=*/true);
  h.reattach();
  device.connect_and_open(kWait, /*resume=*/true);
  CHECK(device.server_last_received() == kBurst);
}

TEST_CASE("27.3 store: a QoS 1 uplink nothing records is answered with an error") {
  Harness h({"--set", "events.types=connect,disconnect"});
  TestDevice device(h.device_options("unrecorded-1"));
  device.connect_and_open();
  REQUIRE(device.publish("telemetry") == protocol::SendStatus::Sent);
  REQUIRE(device.pump_until(now_ms() + kWait, [&] { return !device.errors().empty(); }));
  CHECK(device.errors()[0].reason == Reason::NotFound);
  CHECK(device.errors()[0].ref == 1);
  CHECK(device.is_open());  // an error about one message, not the session
  REQUIRE(device.publish("best effort", protocol::Qos::AtMostOnce) == protocol::SendStatus::Sent);
  device.pump_until(now_ms() + 200, [] { return false; });  // room for a wrong second error
  CHECK(device.errors().size() == 1);
}

TEST_CASE("27.4 store: a message too large for the device is refused, or dropped and counted") {
  Harness h;
  const std::string big(100 * 1024, 'b');
  // The device's limit is not known yet: the message is queued...
  h.send_ok("small-1", big);
  auto options = h.device_options("small-1");
  options.max_frame = 8 * 1024;
  TestDevice device(options);
  device.connect_and_open();
  // ...and dropped at delivery as too large, never counted as acknowledged.
  auto info = h.wait_device("small-1", [](const auto& b) { return b["queued"] == 0; }, {&device});
  CHECK(info["queued"] == 0);
  CHECK(sample_value(h, "kite_dropped_total{reason=\"too_large\"}") == 1);
  CHECK(sample_value(h, "kite_store_acked_total") == 0);
  CHECK(wait_log(h.kited, "delivery.too_large"));  // kited's log is written by a thread of its own

  // Now its limit is known: the next one is refused when it is sent.
  auto refused = h.http.send("small-1", big);
  CHECK(refused.status == 413);
  CHECK(refused.json()["title"] == "Message too large for the device");
  CHECK(refused.json()["detail"].get<std::string>().find("8192") != std::string::npos);
  h.send_ok("small-1", "fits");
  auto messages = device.take_messages(1, kWait);
  REQUIRE(messages.size() == 1);
  CHECK(messages[0].payload == "fits");
  info = h.wait_device("small-1", [](const auto& b) { return b["queued"] == 0; }, {&device});
  CHECK(sample_value(h, "kite_store_acked_total") == 1);
  CHECK(sample_value(h, "kite_dropped_total{reason=\"too_large\"}") == 1);
}

TEST_CASE("27.5 store: idempotency records have their own cap") {
  Harness h({"--set", "store.idempotency_records=2"});
  h.send_ok("keys-1", "a", {{"idempotency_key", "k1"}});
  h.send_ok("keys-2", "b", {{"idempotency_key", "k2"}});
  auto refused = h.http.send("keys-1", "c", 1, {{"idempotency_key", "k3"}});
  CHECK(refused.status == 503);
  CHECK(refused.json()["title"] == "Too many idempotency keys");
  CHECK(refused.headers.find("Retry-After") != std::string::npos);
  CHECK(h.send_ok("keys-1", "a", {{"idempotency_key", "k1"}})["status"] == "duplicate");
  CHECK(h.send_ok("keys-1", "no key")["status"] == "queued");
  CHECK(sample_value(h, "kite_idempotency_records") == 2);
  CHECK(sample_value(h, "kite_idempotency_refused_total") == 1);
  CHECK(h.http.device("keys-1")["queued"] == 2);
}

TEST_CASE("27.6 store: a full disk answers 503 and not ready; freed, it works without a restart") {
  Harness h;
  h.kited.terminate();
  SmallDisk disk(h.kited.dir() / "data", "24m");
  h.kited.restart(/*same_ports=*/true);
  h.reattach();
  fill(disk.path / "filler");

  const std::string payload(32 * 1024, 'p');
  int status = 202, accepted = 0;
  for (int i = 0; i < 400 && status == 202; ++i) {
    status = h.http.send("disk-1", payload).status;
    if (status == 202) ++accepted;
  }
  INFO("accepted before the disk was full: " << accepted);
  REQUIRE(status == 503);
  auto ready = h.http.request("GET", "/readyz", "", false);
  CHECK(ready.status == 503);
  CHECK(ready.json()["status"] == "store unavailable");
  auto again = h.http.send("disk-1", "small");
  CHECK(again.status == 503);
  CHECK(again.json()["title"] == "Store unavailable");

  std::filesystem::remove(disk.path / "filler");
  const Millis deadline = now_ms() + 3 * kWait;
  while (now_ms() < deadline && h.http.request("GET", "/readyz", "", false).status != 200) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // a polling pace
  }
  ready = h.http.request("GET", "/readyz", "", false);
  CHECK(ready.status == 200);
  h.send_ok("disk-1", "after");
  TestDevice device(h.device_options("disk-1"));
  device.connect_and_open();
  auto info = h.wait_device("disk-1", [](const auto& b) { return b["queued"] == 0; }, {&device});
  CHECK(info["queued"] == 0);
  CHECK(info["acked_through"] == accepted + 1);
  CHECK(sample_value(h, "kite_store_recoveries_total") >= 1);
  CHECK(h.kited.alive());
  h.kited.terminate();  // before the tmpfs is detached
}

TEST_CASE("27.7 store: secrets at rest are private; readable key files are logged") {
  const std::filesystem::path keys =
      std::filesystem::temp_directory_path() / ("kite-27-7-keys-" + std::to_string(::getpid()));
  {
    std::ofstream(keys) << "keyed-1 " << std::string(64, 'a') << "\n";
    std::filesystem::permissions(keys, std::filesystem::perms::owner_read |
                                           std::filesystem::perms::owner_write |
                                           std::filesystem::perms::others_read);
  }
  struct Remove {
    std::filesystem::path path;
    ~Remove() { std::filesystem::remove(path); }
  } remove_keys{keys};
  Harness h({"--set", "auth.device_keys_file=" + keys.string()});
  const auto data = h.kited.dir() / "data";
  CHECK(mode_of(data) == 0700);
  CHECK(mode_of(data / "store") == 0700);
  for (const auto& entry : std::filesystem::directory_iterator(data / "store"))
    CHECK_MESSAGE((mode_of(entry.path()) & 077) == 0, entry.path());
  const std::string log = h.kited.log();
  CHECK(log.find("server.secret_file_readable") != std::string::npos);
  CHECK(log.find(keys.string()) != std::string::npos);
  CHECK(log.find(std::string(64, 'a')) == std::string::npos);  // never the key itself
}

}  // namespace kite::it
