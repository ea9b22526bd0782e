#include "common/chunked_body.h"

#include <algorithm>
#include <cstdlib>

namespace kite::cli {

ChunkedBody::Result ChunkedBody::feed(std::string& in, std::string& out) {
  std::size_t at = 0;
  Result result = Result::More;
  while (at < in.size() && !ended_) {
    if (chunk_left_ > 0) {
      const std::size_t take = std::min(chunk_left_, in.size() - at);
      out.append(in, at, take);
      at += take;
      chunk_left_ -= take;
      after_chunk_ = chunk_left_ == 0;
      continue;
    }
    const std::size_t line_end = in.find("\r\n", at);
    if (line_end == std::string::npos) break;  // the rest of the line is still on its way
    if (after_chunk_) {
      after_chunk_ = false;
      if (line_end != at) {
        result = Result::Bad;
        break;
      }
      at += 2;
      continue;
    }
    const std::string size_text = in.substr(at, line_end - at);  // "1a" or "1a;name=value"
    char* end = nullptr;
    const unsigned long size = std::strtoul(size_text.c_str(), &end, 16);
    if (end == size_text.c_str() || (*end != '\0' && *end != ';')) {
      result = Result::Bad;
      break;
    }
    at = line_end + 2;
    chunk_left_ = size;
    ended_ = size == 0;  // what follows (trailers, the final CRLF) is of no use to a reader
  }
  in.erase(0, at);
  if (result == Result::Bad) return result;
  return ended_ ? Result::End : Result::More;
}

}  // namespace kite::cli
