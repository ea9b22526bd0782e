// The head of an HTTP/1.x response, read incrementally by a client: the status line and the
// headers up to the empty line, nothing more. What a WebSocket upgrade (101) and an HTTP
// CONNECT proxy (200) answer is all in the head; the bytes after it belong to what follows.
//
// Rules it keeps: at most kMaxHead bytes (a peer cannot make it buffer more); header names are
// folded to lower case; obsolete line folding, a bare LF, a header without ':' or a status that
// is not three digits make it Bad, and Bad is sticky.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kite::websocket {

class ResponseHead {
 public:
  static constexpr std::size_t kMaxHead = 8 * 1024;
  enum class Step : std::uint8_t { More, Done, Bad };

  // Feeds bytes after the ones fed before. On Done, `used` is how many of `bytes` were part of
  // the head; the rest follow it.
  Step feed(std::span<const std::uint8_t> bytes, std::size_t& used);

  int status() const { return status_; }
  std::string_view reason() const { return reason_; }
  // The first header of that (lower-case) name, or null.
  const std::string* header(std::string_view lower_name) const;
  std::string_view error() const { return error_; }  // why Bad

 private:
  Step parse();
  Step fail(std::string_view why);

  std::string buffer_;
  std::vector<std::pair<std::string, std::string>> headers_;
  std::string reason_;
  std::string_view error_;
  int status_ = 0;
  Step step_ = Step::More;
};

}  // namespace kite::websocket
