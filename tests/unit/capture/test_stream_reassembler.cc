// StreamReassembler: segments in order, out of order, retransmitted and overlapping (the bytes
// seen first win), sequence numbers wrapping around 2^32, FIN, a hole that never fills, and the
// bound on out-of-order data.
#include <doctest/doctest.h>

#include <algorithm>
#include <string>

#include "capture_builders.h"
#include "kite/capture/stream_reassembler.h"

namespace kite::capture::test {
namespace {

struct Piece {
  std::uint32_t offset;
  std::string bytes;
  bool fin = false;
};

// Feeds `pieces` (offsets relative to `first_seq`) and returns everything handed on.
std::string reassemble(StreamReassembler& r, std::uint32_t first_seq,
                       const std::vector<Piece>& pieces) {
  r.start(first_seq);
  std::vector<std::uint8_t> out;
  for (const auto& p : pieces) r.add(first_seq + p.offset, bytes_of(p.bytes), p.fin, out);
  return std::string(out.begin(), out.end());
}

const std::string kText = "the quick brown fox jumps over the lazy dog";

// The text cut into pieces of `size` bytes.
std::vector<Piece> cut(const std::string& text, std::size_t size) {
  std::vector<Piece> pieces;
  for (std::size_t at = 0; at < text.size(); at += size)
    pieces.push_back({static_cast<std::uint32_t>(at), text.substr(at, size)});
  return pieces;
}

}  // namespace

TEST_CASE("reassembly: in order, bytes are handed on as they come") {
  StreamReassembler r;
  CHECK(reassemble(r, 1000, cut(kText, 7)) == kText);
  CHECK(r.delivered() == kText.size());
  CHECK(r.buffered_bytes() == 0);
  CHECK_FALSE(r.gap());
  CHECK(r.duplicate_bytes() == 0);
}

TEST_CASE("reassembly: any order of the segments gives the same stream") {
  std::vector<Piece> pieces = cut(kText, 5);
  std::reverse(pieces.begin(), pieces.end());
  StreamReassembler reversed;
  CHECK(reassemble(reversed, 5, pieces) == kText);
  CHECK(reversed.buffered_bytes() == 0);

  pieces = cut(kText, 4);
  for (std::size_t i = 0; i + 2 < pieces.size(); i += 3) std::swap(pieces[i], pieces[i + 2]);
  StreamReassembler shuffled;
  CHECK(reassemble(shuffled, 0xffff0000, pieces) == kText);

  // Nothing is handed on while the first bytes are missing.
  StreamReassembler waiting;
  std::vector<std::uint8_t> out;
  waiting.start(1);
  waiting.add(1 + 10, bytes_of(kText.substr(10, 10)), false, out);
  CHECK(out.empty());
  CHECK(waiting.delivered() == 0);
  CHECK(waiting.buffered_bytes() >= 10);
  waiting.add(1, bytes_of(kText.substr(0, 10)), false, out);
  CHECK(std::string(out.begin(), out.end()) == kText.substr(0, 20));
}

TEST_CASE("reassembly: retransmitted bytes are dropped and counted") {
  std::vector<Piece> pieces = cut(kText, 6);
  std::vector<Piece> twice;
  for (const auto& p : pieces) {
    twice.push_back(p);
    twice.push_back(p);
  }
  twice.push_back(pieces.front());  // a late retransmission of the start
  StreamReassembler r;
  CHECK(reassemble(r, 77, twice) == kText);
  CHECK(r.duplicate_bytes() == kText.size() + pieces.front().bytes.size());
}

TEST_CASE("reassembly: overlapping segments keep the bytes seen first") {
  SUBCASE("over bytes already handed on") {
    StreamReassembler r;
    CHECK(reassemble(r, 0, {{0, "abcd"}, {2, "XYZW"}}) == "abcdZW");
    CHECK(r.duplicate_bytes() == 2);
  }
  SUBCASE("over bytes still waiting") {
    StreamReassembler r;
    // [4,8) waits; [2,10) arrives second: its 4..7 lose to "efgh"; then the hole [0,2) fills.
    CHECK(reassemble(r, 0, {{4, "efgh"}, {2, "XXYYYYZZ"}, {0, "ab"}}) == "abXXefghZZ");
    CHECK(r.duplicate_bytes() == 4);
  }
  SUBCASE("a segment spanning several waiting chunks fills only the holes between them") {
    StreamReassembler r;
    CHECK(reassemble(r, 0, {{2, "cd"}, {6, "gh"}, {1, "12345678"}, {0, "a"}}) == "a1cd45gh8");
  }
}

TEST_CASE("reassembly: sequence numbers wrap around 2^32") {
  for (std::uint32_t first : {0xffffffffu, 0xfffffff0u, 0xffffffe0u, 0u}) {
    CAPTURE(first);
    std::vector<Piece> pieces = cut(kText, 3);
    std::swap(pieces[1], pieces[4]);
    StreamReassembler r;
    CHECK(reassemble(r, first, pieces) == kText);
  }
  // Many wraps: 5 x 4 GiB worth of offsets cannot be fed, but offsets are 64-bit: the 32-bit
  // seq of a byte far into the stream is taken relative to the next byte expected.
  StreamReassembler r;
  std::vector<std::uint8_t> out;
  r.start(0xfffffffe);
  r.add(0xfffffffe, bytes_of("ab"), false, out);
  r.add(0x00000000, bytes_of("cd"), false, out);  // wrapped
  CHECK(std::string(out.begin(), out.end()) == "abcd");
  CHECK(r.delivered() == 4);
}

TEST_CASE("reassembly: FIN ends the stream; bytes beyond it are ignored") {
  StreamReassembler r;
  std::vector<std::uint8_t> out;
  r.start(10);
  r.add(10, bytes_of("hello"), true, out);
  CHECK(r.finished());
  r.add(15, bytes_of("more"), false, out);
  CHECK(std::string(out.begin(), out.end()) == "hello");
  CHECK_FALSE(r.gap());

  // A FIN that arrives before the bytes it follows: finished once they are in.
  StreamReassembler late;
  std::vector<std::uint8_t> out2;
  late.start(0);
  late.add(5, bytes_of("world"), true, out2);
  CHECK_FALSE(late.finished());
  late.add(0, bytes_of("hello"), false, out2);
  CHECK(late.finished());
  CHECK(std::string(out2.begin(), out2.end()) == "helloworld");
}

TEST_CASE("reassembly: a hole that never fills is a gap at its offset") {
  StreamReassembler r;
  CHECK(reassemble(r, 500, {{0, "0123"}, {10, "abc"}, {20, "xyz"}}) == "0123");
  const auto gap = r.gap();
  REQUIRE(gap);
  CHECK(gap->offset == 4);
  CHECK(gap->missing == 6);

  // Without data after it, a FIN beyond the hole says how much is missing.
  StreamReassembler fin;
  CHECK(reassemble(fin, 0, {{0, "ab"}, {9, "", true}}) == "ab");
  REQUIRE(fin.gap());
  CHECK(fin.gap()->offset == 2);
  CHECK(fin.gap()->missing == 7);
}

TEST_CASE("reassembly: out-of-order data beyond the bound fails the direction") {
  StreamReassembler r(1024);
  std::vector<std::uint8_t> out;
  r.start(0);
  r.add(0, bytes_of("ok"), false, out);
  const std::string chunk(300, 'x');
  for (std::uint32_t i = 0; i < 5 && !r.failed(); ++i)
    r.add(100 + i * 400, bytes_of(chunk), false, out);
  REQUIRE(r.failed());
  CHECK(r.error().find("1024 bytes") != std::string::npos);
  CHECK(r.error().find("stream offset 2") != std::string::npos);
  CHECK(r.buffered_bytes() == 0);  // freed
  CHECK_FALSE(r.gap());            // the error said it
  r.add(2, bytes_of("late"), false, out);
  CHECK(std::string(out.begin(), out.end()) == "ok");
}

TEST_CASE("reassembly: before start(), and before the first byte, nothing is taken") {
  StreamReassembler r;
  std::vector<std::uint8_t> out;
  r.add(0, bytes_of("ignored"), false, out);
  CHECK(out.empty());
  r.start(100);
  r.add(90, bytes_of("0123456789"), false, out);  // ends where the stream begins
  CHECK(out.empty());
  r.add(95, bytes_of("56789abc"), false, out);  // straddles the start: only "abc" counts
  CHECK(std::string(out.begin(), out.end()) == "abc");
}

}  // namespace kite::capture::test
