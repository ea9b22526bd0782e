// Issue 22, part 3: a device whose process is killed with -9 and started again resumes from its
// session file (ClientOptions::session_file) with nothing lost and nothing delivered twice,
// uplink included, while kited keeps sending and the device keeps publishing.
//
// What "twice" may mean here is the documented window (docs/sdk.md, "Surviving a reboot"): a
// message the app handled after the file's last write is delivered again after a crash. The
// test reads the file each kill left behind and checks that every repeat lies in that window
// (above the seq the file held), and that nothing at or below it ever comes again.
#include <signal.h>
#include <sys/inotify.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <set>
#include <sstream>

#include "child_process.h"
#include "harness.h"
#include "kite_cli.h"
#include "sdk_probe.h"
#include "session_codec.h"

namespace kite::it {
namespace {

// Counts the session file's writes: each one ends with a rename onto its name. The moves away
// from the temporary name are watched too, though not counted: unread identical events are
// merged into one by the kernel, and they keep the renames apart.
class WriteCounter {
 public:
  WriteCounter(const std::filesystem::path& file) : name_(file.filename()) {
    fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    inotify_add_watch(fd_, file.parent_path().c_str(), IN_MOVED_FROM | IN_MOVED_TO);
  }
  ~WriteCounter() { ::close(fd_); }
  std::size_t count() {
    alignas(inotify_event) char buffer[64 << 10];
    for (;;) {
      const ssize_t n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) return writes_;
      for (ssize_t at = 0; at < n;) {
        const auto* event = reinterpret_cast<const inotify_event*>(buffer + at);
        if ((event->mask & IN_MOVED_TO) && event->len > 0 && name_ == event->name) ++writes_;
        at += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
      }
    }
  }

 private:
  std::string name_;
  int fd_;
  std::size_t writes_ = 0;
};

// kited's HTTP API, from a thread of its own: one downlink message every `every_ms`, and the
// payloads kited accepted (202).
class DownlinkSender {
 public:
  DownlinkSender(std::uint16_t admin_port, std::string device, int every_ms)
      : thread_([=, this] {
          HttpClient http(admin_port, kAdminToken);
          for (int n = 1; !stop_; ++n) {
            const std::string payload = "down-" + std::to_string(n);
            if (http.send(device, payload, 1).status == 202) {
              std::lock_guard lock(mutex_);
              accepted_.push_back(payload);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(every_ms));
          }
        }) {}
  ~DownlinkSender() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> accepted_;
  std::thread thread_;
};

struct Printed {
  std::vector<std::pair<std::uint64_t, std::string>> messages;  // seq, payload, in order
  std::vector<std::string> accepted;                            // uplink publish() took
};

Printed parse(const std::string& out) {
  Printed printed;
  std::istringstream lines(out);
  std::string word;
  while (lines >> word) {
    if (word == "message") {
      std::uint64_t seq = 0;
      std::string payload;
      lines >> seq >> payload;
      printed.messages.emplace_back(seq, payload);
    } else if (word == "accepted") {
      lines >> word;
      printed.accepted.push_back(word);
    } else {
      std::getline(lines, word);  // a state line
    }
  }
  return printed;
}

sdk::SavedSession read_session(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), {});
  sdk::SavedSession saved;
  const std::string error = sdk::decode_session(bytes, saved);
  INFO("session file " << file << ": " << error);
  REQUIRE(error.empty());
  return saved;
}

struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("kite-session-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("50.1 kill -9 and start again, 8 times under traffic: nothing lost, nothing twice") {
  Harness h;
  TempDir dir;
  const std::string id = "reboot-1";
  const auto file = dir.path / "session";
  WriteCounter writes(file);
  const std::vector<std::string> device_args{std::to_string(h.kited.device_port()), id,
                                             device_key_hex(id), file.string()};
  DownlinkSender sender(h.kited.admin_port(), id, 20);  // 50 a second
  std::mt19937 random(50);
  std::map<std::string, int> delivered;  // downlink payload -> times the app saw it
  std::set<std::string> uplink_owed;     // publish() took it, or the file held it
  std::size_t repeats = 0;
  std::uint64_t floor_seq = 0;  // nothing at or below it may come again
  const auto started = std::chrono::steady_clock::now();
  auto run = [&](int tag, bool kill) {
    auto args = device_args;
    args.insert(args.end(), {std::to_string(tag), "100"});  // 10 uplink messages a second
    ChildProcess device("session device " + std::to_string(tag), SESSION_DEVICE_PATH, args);
    REQUIRE(device.wait_out("state connected", kWait));
    if (kill) {
      std::this_thread::sleep_for(std::chrono::milliseconds(400 + random() % 1200));
      device.signal(SIGKILL);
      REQUIRE(device.wait_exit(kWait).has_value());
    } else {
      sender.stop();
      const auto owed = sender.accepted();
      const std::string last = owed.back();
      CHECK(device.wait_out(" " + last + "\n", 3 * kWait));
      device.signal(SIGKILL);  // the uplink it owes is in its file or at kited: checked below
      REQUIRE(device.wait_exit(kWait).has_value());
    }
    const Printed printed = parse(device.out());
    for (const auto& message : printed.messages) {
      const std::uint64_t seq = message.first;  // not a binding: INFO captures it
      const std::string& payload = message.second;
      INFO("run " << tag << ": seq " << seq << " again; the file of the run before held "
                  << floor_seq);
      CHECK(seq > floor_seq);
      if (delivered[payload]++ > 0) ++repeats;
    }
    const auto saved = read_session(file);
    floor_seq = saved.last_received_seq;
    for (const auto& payload : printed.accepted) uplink_owed.insert(payload);
    for (const auto& entry : saved.entries) uplink_owed.insert(entry.payload);
  };
  for (int tag = 1; tag <= 8; ++tag) run(tag, true);
  run(9, false);
  const double minutes =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() / 60;

  // Downlink: every message kited accepted reached the app.
  const auto accepted = sender.accepted();
  std::size_t lost = 0;
  for (const auto& payload : accepted) lost += delivered.count(payload) == 0 ? 1 : 0;
  CHECK(lost == 0);
  // Uplink: a last process drains the file; then everything owed is at kited exactly once.
  ChildProcess drain("session device drain", SESSION_DEVICE_PATH, [&] {
    auto args = device_args;
    args.insert(args.end(), {"10", "3600000"});
    return args;
  }());
  std::vector<std::string> recorded;
  const auto deadline = now_ms() + 3 * kWait;
  do {
    recorded = recorded_uplinks(h, id);
    std::set<std::string> have(recorded.begin(), recorded.end());
    if (std::all_of(uplink_owed.begin(), uplink_owed.end(),
                    [&](const std::string& p) { return have.count(p) > 0; }))
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (now_ms() < deadline);
  std::map<std::string, int> times;
  for (const auto& payload : recorded) ++times[payload];
  std::size_t uplink_lost = 0, uplink_twice = 0;
  for (const auto& payload : uplink_owed) uplink_lost += times.count(payload) == 0 ? 1 : 0;
  for (const auto& [payload, n] : times) uplink_twice += n > 1 ? 1 : 0;
  CHECK(uplink_lost == 0);
  CHECK(uplink_twice == 0);
  MESSAGE("downlink: " << accepted.size() << " accepted, " << delivered.size() << " delivered, "
                       << lost << " lost, " << repeats
                       << " repeated inside the window; uplink: " << uplink_owed.size()
                       << " accepted, " << recorded.size() << " recorded, " << uplink_lost
                       << " lost, " << uplink_twice << " twice; session file: " << writes.count()
                       << " writes in " << minutes * 60 << " s ("
                       << static_cast<int>(writes.count() / minutes) << " a minute)");
}

TEST_CASE("50.2 flash wear: 50 messages a second cost about one write a second") {
  Harness h;
  TempDir dir;
  const std::string id = "reboot-2";
  const auto file = dir.path / "session";
  WriteCounter writes(file);
  // One uplink message at the start (one write of its own), then downlink alone.
  ChildProcess device("session device", SESSION_DEVICE_PATH,
                      {std::to_string(h.kited.device_port()), id, device_key_hex(id), file.string(),
                       "1", "3600000"});
  REQUIRE(device.wait_out("state connected", kWait));
  const auto started = std::chrono::steady_clock::now();
  DownlinkSender sender(h.kited.admin_port(), id, 20);
  std::this_thread::sleep_for(std::chrono::seconds(10));
  sender.stop();
  const auto accepted = sender.accepted();
  REQUIRE(!accepted.empty());
  CHECK(device.wait_out(" " + accepted.back() + "\n", 3 * kWait));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const Printed printed = parse(device.out());
  std::set<std::string> seen;
  for (const auto& message : printed.messages) CHECK(seen.insert(message.second).second);
  CHECK(seen.size() == accepted.size());
  // session_writes_per_minute = 60: one batched write a second, plus the first start's, the
  // publish's, and the one before the first bytes of the connection.
  const std::size_t n = writes.count();
  CHECK(n <= static_cast<std::size_t>(seconds) + 5);
  MESSAGE(accepted.size() << " downlink messages in " << seconds << " s, " << n
                          << " session-file writes (" << static_cast<int>(n * 60 / seconds)
                          << " a minute)");
}

TEST_CASE(
    "50.3 kite listen and kite publish --session-file: a run picks up where the last one stopped") {
  Harness h;
  TempDir dir;
  const std::string port = std::to_string(h.kited.device_port());
  const std::string listen_file = (dir.path / "listen").string();
  const std::vector<std::string> listen = {"listen",
                                           "--port",
                                           port,
                                           "--id",
                                           "cli-1",
                                           "--master-key",
                                           master_key_hex(),
                                           "--format",
                                           "text",
                                           "--session-file",
                                           listen_file,
                                           "-C",
                                           "2"};
  for (const auto* payload : {"one", "two", "three", "four"}) h.send_ok("cli-1", payload);
  const KiteRun first = run_kite(listen);
  CHECK(first.exit_code == 0);
  CHECK(first.out == "one\ntwo\n");
  const KiteRun second = run_kite(listen);  // a new process: only the file remembers
  CHECK(second.exit_code == 0);
  CHECK(second.out == "three\nfour\n");

  // A publish that cannot reach kited keeps its messages in the file; the next run sends them.
  const std::string publish_file = (dir.path / "publish").string();
  std::vector<std::string> publish = {"publish",      "--id",           "cli-2",
                                      "--master-key", master_key_hex(), "--session-file",
                                      publish_file,   "--topic",        "t"};
  auto offline = publish;
  offline.insert(offline.end(), {"--port", std::to_string(free_port()), "-W", "1", "kept"});
  CHECK(run_kite(offline).exit_code == 3);  // never connected
  auto online = publish;
  online.insert(online.end(), {"--port", port, "-W", "10", "fresh"});
  const KiteRun sent = run_kite(online);
  CHECK(sent.exit_code == 0);
  const auto events = h.wait_events("type=uplink&device=cli-2", 2)["events"];
  REQUIRE(events.size() == 2);
  CHECK(events[0]["payload"] == "kept");
  CHECK(events[1]["payload"] == "fresh");
}

}  // namespace kite::it
