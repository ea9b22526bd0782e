#include "kite/websocket/response_head.h"

#include <algorithm>
#include <cctype>

namespace kite::websocket {
namespace {

std::string_view trimmed(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

ResponseHead::Step ResponseHead::feed(std::span<const std::uint8_t> bytes, std::size_t& used) {
  used = 0;
  if (step_ != Step::More) return step_;
  // The end may straddle two feeds: look from three bytes before this feed's.
  const std::size_t before = buffer_.size();
  const std::size_t room = kMaxHead - before;
  buffer_.append(reinterpret_cast<const char*>(bytes.data()), std::min(bytes.size(), room));
  const std::size_t end = buffer_.find("\r\n\r\n", before < 3 ? 0 : before - 3);
  if (end == std::string::npos) {
    if (buffer_.size() >= kMaxHead) return fail("a response head above 8 KiB");
    used = bytes.size();
    return Step::More;
  }
  used = end + 4 - before;
  buffer_.resize(end + 2);  // the last header line keeps its CRLF
  return step_ = parse();
}

ResponseHead::Step ResponseHead::parse() {
  std::string_view text = buffer_;
  const std::size_t line_end = text.find("\r\n");
  const std::string_view status_line = text.substr(0, line_end);
  text.remove_prefix(line_end + 2);
  if (status_line.find('\n') != std::string_view::npos ||
      status_line.find('\r') != std::string_view::npos)
    return fail("a bare CR or LF in the head");
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." ||
      !std::isdigit(static_cast<unsigned char>(status_line[7])) || status_line[8] != ' ')
    return fail("not an HTTP/1.x status line");
  const std::string_view code = status_line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (status_line.size() > 12 && status_line[12] != ' '))
    return fail("a status that is not three digits");
  status_ = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  reason_ = status_line.size() > 13 ? std::string(status_line.substr(13)) : std::string();
  while (!text.empty()) {
    const std::size_t end = text.find("\r\n");
    const std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 2);
    if (line.find('\n') != std::string_view::npos || line.find('\r') != std::string_view::npos)
      return fail("a bare CR or LF in the head");
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t'))
      return fail("obsolete header line folding");
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return fail("a header line without a name");
    std::string name(line.substr(0, colon));
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    headers_.emplace_back(std::move(name), std::string(trimmed(line.substr(colon + 1))));
  }
  std::string().swap(buffer_);
  return Step::Done;
}

ResponseHead::Step ResponseHead::fail(std::string_view why) {
  error_ = why;
  std::string().swap(buffer_);
  return step_ = Step::Bad;
}

const std::string* ResponseHead::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers_)
    if (name == lower_name) return &value;
  return nullptr;
}

}  // namespace kite::websocket
