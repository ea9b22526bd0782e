// `kite publish` reading stdin one line (one message) at a time, with a way out: a read that
// waits for input gives up when `should_stop` says so (-W ran out, SIGINT, kited refused the
// device), which std::getline cannot do. Works on pipes, terminals and regular files alike.
#pragma once

#include <functional>
#include <string>

namespace kite::cli {

class LineReader {
 public:
  enum class Got {
    Line,     // `line` holds the next line, without its "\n" or "\r\n"
    End,      // the input ended (a last line without "\n" came as a Line first)
    Stopped,  // should_stop() said so while waiting for input
  };

  explicit LineReader(int fd) : fd_(fd) {}

  Got next(std::string& line, const std::function<bool()>& should_stop);

 private:
  int fd_;
  std::string buffer_;  // read, not yet handed out
  bool ended_ = false;
};

}  // namespace kite::cli
