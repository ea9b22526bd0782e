// What the store tests share: the three stores behind one face, a temporary directory that is
// always removed, and short ways to build messages and read a whole queue.
//
// The behavioural suite is written once with TEST_CASE_TEMPLATE(..., Store, STORE_KINDS) and runs
// against every implementation (RedisStore against a real redis-server of its own); tests about
// restarts run with DURABLE_STORE_KINDS.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "common/log.h"
#include "redis_server.h"
#include "store/message_store.h"
#include "store/redis/redis_store.h"

namespace kite::server::store_test {

using Status = EnqueueResult::Status;

// The store logs every open at info level; the tests only want to see warnings and errors.
inline const bool quiet_logs = (log::configure(log::Level::warn, log::Format::text), true);

// Far in the future, so RocksDB's wall-clock compaction filter never removes a test's records.
constexpr std::uint64_t kNow = 4'000'000'000'000;

// A fresh directory under $TMPDIR, removed with everything in it when the test ends or fails.
struct TempDir {
  std::filesystem::path path;

  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kite-store-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

struct MemoryStore {
  std::unique_ptr<MessageStore> open(const StoreOptions& options = {}) {
    return make_memory_store(options);
  }
};

struct RocksStore {
  TempDir dir;

  std::unique_ptr<MessageStore> open(const StoreOptions& options = {}) {
    std::string error;
    auto store = open_rocksdb_store(dir.path.string(), options, error);
    REQUIRE_MESSAGE(store != nullptr, error);
    return store;
  }
};

// RocksDB with write-behind held long (a second), so acknowledgements and expiry stay pending
// while the test reads: every rule must hold over pending writes too, and across a reopen.
struct RocksWriteBehindStore {
  TempDir dir;

  std::unique_ptr<MessageStore> open(StoreOptions options = {}) {
    options.write_behind_ms = 1000;
    std::string error;
    auto store = open_rocksdb_store(dir.path.string(), options, error);
    REQUIRE_MESSAGE(store != nullptr, error);
    return store;
  }
};

// Declared after TempDir: the server must stop before its directory goes.
struct RedisStore {
  TempDir dir;
  RedisServer server{dir.path};

  std::unique_ptr<MessageStore> open(const StoreOptions& options = {}) {
    std::string error;
    RedisStoreOptions redis;
    redis.addresses = {server.address()};
    auto store = open_redis_store(redis, options, error);
    REQUIRE_MESSAGE(store != nullptr, error);
    return store;
  }
};

// The Redis store sharded over two redis-servers: every queue rule must hold there too, with
// devices on both shards and the global keys on the first.
struct ShardedRedisStore {
  TempDir dir;
  RedisServer first{subdirectory(dir.path, "0")};
  RedisServer second{subdirectory(dir.path, "1")};

  std::unique_ptr<MessageStore> open(const StoreOptions& options = {}) {
    std::string error;
    RedisStoreOptions redis;
    redis.addresses = {first.address(), second.address()};
    auto store = open_redis_store(redis, options, error);
    REQUIRE_MESSAGE(store != nullptr, error);
    return store;
  }
};

// The stores whose records outlive the process: restarts reopen the same directory or Redis.
#define DURABLE_STORE_KINDS                                                       \
  ::kite::server::store_test::RocksStore, ::kite::server::store_test::RedisStore, \
      ::kite::server::store_test::ShardedRedisStore,                              \
      ::kite::server::store_test::RocksWriteBehindStore

#define STORE_KINDS                                                                          \
  ::kite::server::store_test::MemoryStore, ::kite::server::store_test::RocksStore,           \
      ::kite::server::store_test::RedisStore, ::kite::server::store_test::ShardedRedisStore, \
      ::kite::server::store_test::RocksWriteBehindStore

// kill -9 tests: a child process writes to a store and reports over a pipe. `run` gets the pipe's
// write end and never returns; the parent gets the read end in `read_fd`.
template <typename Run>
pid_t fork_writer(Run run, int& read_fd) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    close(fds[0]);
    run(fds[1]);
    _exit(6);
  }
  close(fds[1]);
  read_fd = fds[0];
  return child;
}

// Kills and reaps the child if the test fails before it is reaped, so no orphan holds the store.
struct ReapOnFailure {
  pid_t pid;
  ~ReapOnFailure() {
    if (pid <= 0) return;
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
};

inline NewMessage text(std::string_view payload) {
  NewMessage message;
  message.payload = payload;
  return message;
}

inline NewMessage keyed(std::string_view payload, std::string_view conflation_key,
                        std::string_view idempotency_key = {}) {
  NewMessage message = text(payload);
  message.conflation_key = conflation_key;
  message.idempotency_key = idempotency_key;
  return message;
}

inline NewMessage with_ttl(std::string_view payload, std::uint64_t ttl_ms) {
  NewMessage message = text(payload);
  message.ttl_ms = ttl_ms;
  return message;
}

inline std::vector<StoredMessage> read_all(MessageStore& store, std::string_view device,
                                           std::uint64_t now_ms = kNow) {
  std::vector<StoredMessage> out;
  store.read(device, 0, 1'000'000, std::size_t{1} << 30, now_ms, out);
  return out;
}

inline std::vector<std::uint64_t> seqs_of(const std::vector<StoredMessage>& messages) {
  std::vector<std::uint64_t> seqs;
  for (const auto& message : messages) seqs.push_back(message.seq);
  return seqs;
}

inline std::vector<std::uint64_t> queued_seqs(MessageStore& store, std::string_view device,
                                              std::uint64_t now_ms = kNow) {
  return seqs_of(read_all(store, device, now_ms));
}

using Seqs = std::vector<std::uint64_t>;

}  // namespace kite::server::store_test

// Failed checks on seq lists print the lists.
template <>
struct doctest::StringMaker<std::vector<std::uint64_t>> {
  static doctest::String convert(const std::vector<std::uint64_t>& seqs) {
    std::string text = "{";
    for (auto seq : seqs) text += (text.size() > 1 ? ", " : "") + std::to_string(seq);
    return (text + "}").c_str();
  }
};
