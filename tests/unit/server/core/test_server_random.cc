// The connection path's random bytes: never the same twice, across pool refills, across threads,
// and in a child forked from the process.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>
#include <thread>
#include <vector>

#include "core/server_random.h"

using namespace kite::server;

namespace {

using Draw = std::array<std::uint8_t, 16>;

Draw draw() {
  Draw out{};
  server_random(out);
  return out;
}

}  // namespace

TEST_CASE("server_random: no draw repeats, over many pool refills") {
  std::set<Draw> seen;
  for (int i = 0; i < 10'000; ++i) CHECK(seen.insert(draw()).second);
  Draw zero{};
  CHECK(seen.count(zero) == 0);
}

TEST_CASE("server_random: threads draw different bytes") {
  Draw here = draw(), there{};
  std::thread([&] { there = draw(); }).join();
  CHECK(here != there);
}

TEST_CASE("server_random: a forked child does not repeat the parent's next bytes") {
  draw();  // the pool now holds unused bytes, which the child inherits
  int pipe_ends[2];
  REQUIRE(pipe(pipe_ends) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    const Draw in_child = draw();
    _exit(write(pipe_ends[1], in_child.data(), in_child.size()) == 16 ? 0 : 1);
  }
  Draw from_child{};
  CHECK(read(pipe_ends[0], from_child.data(), from_child.size()) == 16);
  int status = 0;
  waitpid(child, &status, 0);
  close(pipe_ends[0]);
  close(pipe_ends[1]);
  CHECK(draw() != from_child);
}

TEST_CASE("server_random: a large draw is filled too") {
  std::vector<std::uint8_t> large(4096, 0);
  server_random(large);
  CHECK(std::count(large.begin(), large.end(), 0) < 100);
}
