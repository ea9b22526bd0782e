// A real redis-server for one test: started on a Unix socket in its own temporary directory, with
// no persistence, and killed (and its directory removed) when the test ends or fails. With a TCP
// port (replication and Sentinel need one) it listens on 127.0.0.1 there instead; `extra`
// arguments go to redis-server as they are (--replicaof, --appendonly, --sentinel...).
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "../../../support/free_port.h"
#include "store/redis/redis_connection.h"

namespace kite::server::store_test {

using test_support::free_port;  // tests/support/free_port.h

// A directory under `parent` (which is removed with it).
inline std::filesystem::path subdirectory(const std::filesystem::path& parent,
                                          const std::string& name) {
  std::filesystem::create_directories(parent / name);
  return parent / name;
}

class RedisServer {
 public:
  explicit RedisServer(const std::filesystem::path& dir, int port = 0,
                       std::vector<std::string> extra = {})
      : dir_(dir), socket_((dir / "redis.sock").string()), port_(port), extra_(std::move(extra)) {
    start();
  }
  ~RedisServer() { stop(); }
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  store::redis::RedisAddress address() const {
    return port_ ? store::redis::RedisAddress{"127.0.0.1", port_, false}
                 : store::redis::RedisAddress{socket_, 0, true};
  }
  int port() const { return port_; }

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
    std::vector<std::string> args{"redis-server"};
    for (const std::string& arg : extra_)
      if (arg.ends_with(".conf")) args.push_back(arg);  // a config file comes first
    if (port_)
      args.insert(args.end(), {"--port", std::to_string(port_), "--bind", "127.0.0.1"});
    else
      args.insert(args.end(), {"--port", "0", "--unixsocket", socket_});
    args.insert(args.end(),
                {"--dir", dir_arg, "--save", "", "--appendonly", "no", "--logfile", log});
    for (const std::string& arg : extra_)
      if (!arg.ends_with(".conf")) args.push_back(arg);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      ::execvp("redis-server", argv.data());
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
  int port_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

}  // namespace kite::server::store_test
