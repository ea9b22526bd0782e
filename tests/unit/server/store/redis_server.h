// A real redis-server for one test: started on a Unix socket in its own temporary directory, with
// no persistence, and killed (and its directory removed) when the test ends or fails.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "store/redis/redis_connection.h"

namespace kite::server::store_test {

class RedisServer {
 public:
  explicit RedisServer(const std::filesystem::path& dir)
      : dir_(dir), socket_((dir / "redis.sock").string()) {
    start();
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  store::redis::RedisAddress address() const { return {socket_, 0, true}; }

  // Kills the server (SIGKILL: what it held in memory is gone), then starts a fresh one.
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  void start() {
    const std::string dir_arg = dir_.string();
    const std::string log = (dir_ / "redis.log").string();
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::execlp("redis-server", "redis-server", "--port", "0", "--unixsocket", socket_.c_str(),
               "--dir", dir_arg.c_str(), "--save", "", "--appendonly", "no", "--logfile",
               log.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);  // not installed: tools/dev/setup installs redis-server
    }
    wait_until_ready();
  }

 private:
  void wait_until_ready() {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::string error;
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto connection = store::redis::RedisConnection::connect(address(), 1000, error)) {
        auto reply = connection->command({"PING"}, error);
        if (reply && store::redis::text_of(reply.get()) == "PONG") return;
      }
      int status = 0;
      REQUIRE_MESSAGE(::waitpid(pid_, &status, WNOHANG) == 0, "redis-server exited: " << error);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL("redis-server did not answer within 10 s: " << error);
  }

  std::filesystem::path dir_;
  std::string socket_;
  pid_t pid_ = -1;
};

}  // namespace kite::server::store_test
