// Random identifiers of the store; see random_ids.h for the rules.
#include "store/random_ids.h"

#include <random>

namespace kite::server::store {
namespace {

// splitmix64's finaliser: a bijection, so distinct inputs give distinct outputs.
std::uint64_t mix(std::uint64_t x) {
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::uint64_t os_random() {
  std::random_device device;  // getrandom() on Linux
  return (static_cast<std::uint64_t>(device()) << 32) | device();
}

struct ThreadIds {
  std::uint64_t high_seed = os_random(), low = os_random(), counter = 0;
};

}  // namespace

std::string new_message_id() {
  thread_local ThreadIds ids;
  const std::uint64_t high = mix(ids.high_seed + ids.counter++);
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
  std::string id(26, '\0');
  // 128 bits, 5 at a time from the top: 25 full groups, then the last 3 bits.
  for (int i = 0; i < 26; ++i) {
    const int bit = 123 - 5 * i;  // lowest bit of this group; the last group is 3 bits wide
    std::uint64_t group;
    if (bit >= 64) {
      group = high >> (bit - 64);
    } else if (bit > 59) {
      group = (high << (64 - bit)) | (ids.low >> bit);
    } else if (bit >= 0) {
      group = ids.low >> bit;
    } else {
      group = ids.low << -bit;
    }
    id[static_cast<std::size_t>(i)] = kAlphabet[group & 31];
  }
  return id;
}

std::uint64_t new_epoch() {
  for (;;) {
    if (std::uint64_t epoch = os_random(); epoch != 0) return epoch;
  }
}

}  // namespace kite::server::store
