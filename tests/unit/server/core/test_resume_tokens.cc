// Resume tokens: random per session, bound to the device and the store epoch, expiring, made
// only with their own key, and that key kept in a 0600 file.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/resume_tokens.h"

using namespace kite::server;

namespace {

std::array<std::uint8_t, ResumeTokens::kKeySize> key_of(std::uint8_t fill) {
  std::array<std::uint8_t, ResumeTokens::kKeySize> key{};
  key.fill(fill);
  return key;
}

constexpr std::int64_t kNow = 1'800'000'000'000;

}  // namespace

TEST_CASE("resume tokens: one per session, valid for their device and epoch only") {
  ResumeTokens tokens(key_of(1));
  auto a = tokens.issue("d", 5, kNow);
  auto b = tokens.issue("d", 5, kNow);
  CHECK(a.size() == ResumeTokens::kTokenSize);
  CHECK(a != b);  // a random nonce in each: no two sessions share a token
  CHECK(tokens.valid(a, "d", 5, kNow));
  CHECK(tokens.valid(b, "d", 5, kNow + 1000));
  CHECK_FALSE(tokens.valid(a, "e", 5, kNow));
  CHECK_FALSE(tokens.valid(a, "d", 6, kNow));
  auto forged = a;
  forged[31] ^= 1;
  CHECK_FALSE(tokens.valid(forged, "d", 5, kNow));
  auto backdated = a;
  backdated[0] ^= 1;  // the time is under the MAC too
  CHECK_FALSE(tokens.valid(backdated, "d", 5, kNow));
  CHECK_FALSE(tokens.valid(std::span(a).first(16), "d", 5, kNow));
  CHECK_FALSE(tokens.valid({}, "d", 5, kNow));
}

TEST_CASE("resume tokens expire, and need the key that made them") {
  ResumeTokens tokens(key_of(1)), same_key(key_of(1)), other_key(key_of(2)), random_key;
  auto token = tokens.issue("d", 5, kNow);
  CHECK(same_key.valid(token, "d", 5, kNow));  // a restart with the same key
  CHECK_FALSE(other_key.valid(token, "d", 5, kNow));
  CHECK_FALSE(random_key.valid(token, "d", 5, kNow));
  CHECK(tokens.valid(token, "d", 5, kNow + ResumeTokens::kMaxAge - 1));
  CHECK_FALSE(tokens.valid(token, "d", 5, kNow + ResumeTokens::kMaxAge));
  CHECK_FALSE(tokens.valid(token, "d", 5, kNow - 3'600'000));  // issued "in the future"
}

TEST_CASE("the resume key file is made once, 0600, and read back the same") {
  auto dir =
      std::filesystem::temp_directory_path() / ("kite-resume-key-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "resume-key").string();
  std::array<std::uint8_t, ResumeTokens::kKeySize> made{}, read{};
  CHECK(ResumeTokens::load_or_create_key(path, made) == "");
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(ResumeTokens::load_or_create_key(path, read) == "");
  CHECK(read == made);
  std::ofstream(path, std::ios::app) << "x";
  CHECK(ResumeTokens::load_or_create_key(path, read).find("not a resume key") != std::string::npos);
  std::filesystem::remove_all(dir);
}
