#include "publish/line_reader.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace kite::cli {

LineReader::Got LineReader::next(std::string& line, const std::function<bool()>& should_stop) {
  constexpr int kCheckEveryMs = 100;  // how soon a stop is seen while stdin is quiet
  for (;;) {
    const std::size_t newline = buffer_.find('\n');
    if (newline != std::string::npos || (ended_ && !buffer_.empty())) {
      const std::size_t end = newline == std::string::npos ? buffer_.size() : newline;
      line.assign(buffer_, 0, end);
      if (line.ends_with('\r')) line.pop_back();
      buffer_.erase(0, newline == std::string::npos ? end : end + 1);
      return Got::Line;
    }
    if (ended_) return Got::End;
    if (should_stop()) return Got::Stopped;
    pollfd readable{fd_, POLLIN, 0};
    if (::poll(&readable, 1, kCheckEveryMs) <= 0) continue;  // quiet, or a signal: check again
    char chunk[65536];
    const ssize_t n = ::read(fd_, chunk, sizeof chunk);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) {
      ended_ = true;  // the end, or an input that cannot be read on: what came is all there is
      continue;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
  }
}

}  // namespace kite::cli
