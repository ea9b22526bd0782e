// Fuzzes the admin HTTP request parser (server/http/request_parser.h) with chunked input.
//
//   byte 0   bits 0-3: chunk size, kChunkSizes[...] (1 byte at a time up to the whole input);
//            bits 4-5: limits preset, kLimits[...] (small ones so that 413/431 are reached)
//   byte 1.. the bytes a client sends
//
// Checked: no crash (ASan/UBSan); every completed request has a body within the limit, at most
// max_header_count headers, a method and a path starting with '/'; an error has one of the
// documented statuses and sticks (every later feed reports it again with no request); after
// done() nothing more comes out; and the chunked run gives exactly the requests of feeding the
// whole input at once, and an error when it does (the same status, unless one run noticed a
// limit before a syntax error in the same header).
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "http/request_parser.h"

namespace {

using kite::server::http::FeedResult;
using kite::server::http::HttpRequest;
using kite::server::http::ParserLimits;
using kite::server::http::RequestParser;

constexpr std::size_t kWhole = std::numeric_limits<std::size_t>::max();
constexpr std::array<std::size_t, 16> kChunkSizes = {1,  1,  2,  3,  5,   7,    8,    9,
                                                     15, 16, 63, 64, 255, 1000, 4096, kWhole};
constexpr std::array<ParserLimits, 4> kLimits = {
    ParserLimits{},                       // the defaults: 16 KiB head, 1 MiB body, 100 headers
    ParserLimits{256, 16, 4},             // tiny
    ParserLimits{1024, 0, 100},           // no body at all
    ParserLimits{64 * 1024, 4096, 1000},  // large head, small body
};

struct Run {
  std::vector<HttpRequest> requests;
  std::optional<int> error_status;
};

void check_request(const HttpRequest& request, const ParserLimits& limits) {
  KITE_FUZZ_CHECK(request.body.size() <= limits.max_body_bytes);
  KITE_FUZZ_CHECK(request.headers.size() <= limits.max_header_count);
  KITE_FUZZ_CHECK(!request.method.empty());
  KITE_FUZZ_CHECK(!request.path.empty() && request.path.front() == '/');
}

Run run(std::string_view stream, std::size_t chunk, const ParserLimits& limits) {
  RequestParser parser(limits);
  Run out;
  bool done = false;
  for (std::size_t offset = 0; offset < stream.size();) {
    std::size_t n = std::min(chunk, stream.size() - offset);
    FeedResult result = parser.feed(stream.substr(offset, n));
    offset += n;
    if (out.error_status || done) {  // sticky error; nothing after done()
      KITE_FUZZ_CHECK(result.requests.empty());
      KITE_FUZZ_CHECK(result.error.has_value() == out.error_status.has_value());
      if (result.error) KITE_FUZZ_CHECK(result.error->status == *out.error_status);
      continue;
    }
    for (auto& request : result.requests) {
      check_request(request, limits);
      out.requests.push_back(std::move(request));
    }
    if (result.error) {
      int status = result.error->status;
      KITE_FUZZ_CHECK(status == 400 || status == 413 || status == 431 || status == 501 ||
                      status == 505);
      KITE_FUZZ_CHECK(!result.error->detail.empty());
      out.error_status = status;
    }
    done = parser.done();
    KITE_FUZZ_CHECK(!(done && out.error_status));
  }
  return out;
}

bool is_limit(int status) {
  return status == 413 || status == 431;
}

bool same_request(const HttpRequest& a, const HttpRequest& b) {
  return a.method == b.method && a.target == b.target && a.segments == b.segments &&
         a.query == b.query && a.headers == b.headers && a.body == b.body &&
         a.keep_alive == b.keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  std::size_t chunk = kChunkSizes[data[0] & 0x0f];
  const ParserLimits& limits = kLimits[(data[0] >> 4) & 0x03];
  std::string_view stream(reinterpret_cast<const char*>(data + 1), size - 1);

  Run chunked = run(stream, chunk, limits);
  Run whole = run(stream, kWhole, limits);
  // Whether an error happens never depends on the split; which one may: a limit can be crossed
  // by a partial header seen at a chunk boundary before the syntax error later in that header.
  KITE_FUZZ_CHECK(chunked.error_status.has_value() == whole.error_status.has_value());
  if (chunked.error_status != whole.error_status)
    KITE_FUZZ_CHECK(is_limit(*chunked.error_status) || is_limit(*whole.error_status));
  KITE_FUZZ_CHECK(chunked.requests.size() == whole.requests.size());
  for (std::size_t i = 0; i < whole.requests.size(); ++i)
    KITE_FUZZ_CHECK(same_request(chunked.requests[i], whole.requests[i]));
  return 0;
}
