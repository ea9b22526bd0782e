// The log's writer thread: a stderr nobody reads never blocks the caller; what does not fit the
// queue is dropped, counted, and reported once stderr moves again.
#include <doctest/doctest.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "common/log_sink.h"

using kite::server::log::Sink;

TEST_CASE("a stalled stderr costs lines, never a blocked caller, and the loss is reported") {
  int pipe_fds[2];
  REQUIRE(::pipe(pipe_fds) == 0);
  const int saved_stderr = ::dup(STDERR_FILENO);
  REQUIRE(saved_stderr >= 0);
  REQUIRE(::dup2(pipe_fds[1], STDERR_FILENO) >= 0);
  ::close(pipe_fds[1]);

  // Nobody reads the pipe: it fills (64 KiB), then the queue (4 MiB). Had a write blocked, this
  // loop would never end.
  Sink& sink = Sink::instance();
  const std::uint64_t dropped_before = sink.dropped();
  const std::string line(1024, 'x');
  for (int i = 0; i < 8 * 1024; ++i) sink.write(line + "\n");
  CHECK(sink.dropped() > dropped_before);

  // stderr moves again: everything queued comes out, then a line saying how much was lost.
  std::string captured;
  std::thread reader([&] {
    char buffer[65536];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;)
      captured.append(buffer, static_cast<std::size_t>(n));
  });
  sink.flush();  // what was queued during the stall is out
  sink.write("after the stall\n");
  sink.flush();
  ::dup2(saved_stderr, STDERR_FILENO);  // the pipe's last writer goes: the reader sees its end
  ::close(saved_stderr);
  reader.join();
  ::close(pipe_fds[0]);
  CHECK(captured.size() >= Sink::kMaxQueuedBytes - line.size());
  CHECK(captured.find("log.dropped lines=") != std::string::npos);
  CHECK(captured.ends_with("after the stall\n"));
}
