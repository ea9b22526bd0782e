// A real redis-server for one test, on a Unix socket in a temporary directory of its own; killed
// (SIGKILL) and its directory removed when the test ends or fails. With `aof`, every write is in
// its append-only file before Redis answers (appendfsync always), so kill() and start() again
// keep what it had acknowledged. With a TCP `port` it listens there too (replication needs one),
// and `extra` arguments go to redis-server as they are (--replicaof ...).
#pragma once

#include <doctest/doctest.h>
#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "child_process.h"

namespace kite::it {

class RedisProcess {
 public:
  explicit RedisProcess(bool aof = false, std::vector<std::string> extra = {}, int port = 0)
      : aof_(aof), extra_(std::move(extra)), port_(port) {
    std::string pattern = (std::filesystem::temp_directory_path() / "kite-redis-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
    socket_ = (dir_ / "redis.sock").string();
    start();
  }

  void start() {
    std::vector<std::string> args{"--port",
                                  std::to_string(port_),
                                  "--bind",
                                  "127.0.0.1",
                                  "--unixsocket",
                                  socket_,
                                  "--dir",
                                  dir_.string(),
                                  "--save",
                                  "",
                                  "--appendonly",
                                  aof_ ? "yes" : "no",
                                  "--appendfsync",
                                  "always",
                                  "--repl-diskless-sync-delay",
                                  "0"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    process_ = std::make_unique<ChildProcess>("redis-server", "/usr/bin/redis-server", args);
    REQUIRE_MESSAGE(process_->wait_out("ready to accept connections", 10'000),
                    "redis-server did not start: " << process_->out() << process_->err());
  }
  void kill() { process_.reset(); }  // SIGKILL
  ~RedisProcess() {
    process_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;

  const std::string& socket() const { return socket_; }
  int port() const { return port_; }
  // How many times Redis ran `command` since it started (INFO commandstats).
  long calls(const std::string& command) const {
    const std::string cli = "redis-cli -s " + socket_ + " info commandstats";
    std::string out;
    if (FILE* pipe = ::popen(cli.c_str(), "r")) {
      char buffer[4096];
      while (std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
      ::pclose(pipe);
    }
    const std::string key = "cmdstat_" + command + ":calls=";
    const auto at = out.find(key);
    return at == std::string::npos ? 0 : std::stol(out.substr(at + key.size()));
  }

  // kited's flags for a node on this Redis.
  std::vector<std::string> kited_flags() const {
    return {"--set", "store.engine=redis", "--set", "redis.address=unix:" + socket_};
  }

 private:
  bool aof_;
  std::vector<std::string> extra_;
  int port_;
  std::filesystem::path dir_;
  std::string socket_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace kite::it
