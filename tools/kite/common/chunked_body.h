// The chunked transfer coding of HTTP/1.1 (RFC 9112, 7.1) undone incrementally: kited sends its
// event stream (GET /v1/events) this way, a chunk per batch of events, for as long as the
// reader stays. Chunk extensions and trailers are skipped; kited sends neither.
#pragma once

#include <cstddef>
#include <string>

namespace kite::cli {

class ChunkedBody {
 public:
  enum class Result {
    More,  // everything given was used; more bytes are needed
    End,   // the last (empty) chunk arrived: the body is complete
    Bad,   // not the chunked coding (a size that is not hex, a chunk without its CRLF)
  };

  // Moves the body bytes found in `in` to the end of `out` and removes what it used from `in`
  // (a partial size line stays there for the next call).
  Result feed(std::string& in, std::string& out);

 private:
  std::size_t chunk_left_ = 0;  // body bytes of the current chunk still to come
  bool after_chunk_ = false;    // the CRLF that ends a chunk's bytes is due
  bool ended_ = false;
};

}  // namespace kite::cli
