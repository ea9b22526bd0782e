// kill -9 durability: under Async durability, every enqueue that returned Queued survives a
// SIGKILL of the process (the WAL is in the OS page cache before enqueue returns).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

namespace {

constexpr int kMessages = 2000;
constexpr std::size_t kKillAfter = 1000;

std::string payload_for(std::uint64_t seq) {
  return "message " + std::to_string(seq);
}

// The child: enqueue, report each seq as soon as enqueue returns; never runs destructors or
// exit handlers (it is killed, or _exits), so the store is never closed cleanly.
[[noreturn]] void run_child(const std::string& directory, int report_fd) {
  std::string error;
  auto store = open_rocksdb_store(directory, {}, error);
  if (!store) _exit(2);
  for (std::uint64_t seq = 1; seq <= kMessages; ++seq) {
    const std::string payload = payload_for(seq);
    auto result = store->enqueue("crash-device", text(payload), kNow);
    if (result.status != Status::Queued || result.seq != seq) _exit(3);
    if (write(report_fd, &result.seq, sizeof result.seq) != sizeof result.seq) _exit(4);
  }
  kill(getpid(), SIGKILL);
  _exit(5);
}

// Next reported seq, or false at end of stream; fails the test if the child goes silent.
bool next_report(int fd, std::uint64_t& seq) {
  pollfd readable{fd, POLLIN, 0};
  REQUIRE_MESSAGE(poll(&readable, 1, 30'000) == 1, "the child stopped reporting");
  return read(fd, &seq, sizeof seq) == sizeof seq;  // the pipe carries whole 8-byte writes
}

}  // namespace

TEST_CASE("kill -9 loses no message whose enqueue returned Queued (Async durability)") {
  TempDir dir;
  int report_fd = -1;
  const pid_t child = fork_writer([&](int fd) { run_child(dir.path.string(), fd); }, report_fd);
  ReapOnFailure reaper{child};

  std::vector<std::uint64_t> reported;
  std::uint64_t seq = 0;
  while (next_report(report_fd, seq)) {
    reported.push_back(seq);
    if (reported.size() == kKillAfter) kill(child, SIGKILL);  // mid-way through its writes
  }
  close(report_fd);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  reaper.pid = 0;
  REQUIRE_MESSAGE(WIFSIGNALED(status), "child exited with code " << WEXITSTATUS(status));
  CHECK(WTERMSIG(status) == SIGKILL);
  REQUIRE(reported.size() >= kKillAfter);

  std::string error;
  auto store = open_rocksdb_store(dir.path.string(), {}, error);
  REQUIRE_MESSAGE(store != nullptr, error);
  std::set<std::uint64_t> present;
  bool payloads_intact = true;
  for (const auto& message : read_all(*store, "crash-device")) {
    present.insert(message.seq);
    payloads_intact = payloads_intact && message.payload == payload_for(message.seq);
  }
  std::size_t missing = 0;
  for (std::uint64_t acknowledged : reported) missing += present.count(acknowledged) == 0;
  INFO("reported ", reported.size(), ", present after restart ", present.size());
  CHECK(missing == 0);
  CHECK(payloads_intact);
  CHECK(store->info("crash-device").next_seq == present.size() + 1);
}
