// Per-source admission and per-(source, device) back-off; see admission.h.
#include "core/admission.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace kite::server {
namespace {

// Device ids are chosen by whoever connects: their hash is keyed with a secret of this process
// (SipHash), so that which ids share a bucket cannot be worked out from outside.
std::uint64_t keyed_hash(std::string_view text) {
  static const auto key = [] {
    std::array<unsigned char, crypto_shorthash_KEYBYTES> k{};
    if (sodium_init() < 0) std::abort();  // no randomness: nothing here could be trusted
    randombytes_buf(k.data(), k.size());
    return k;
  }();
  std::array<unsigned char, crypto_shorthash_BYTES> out{};
  crypto_shorthash(out.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                   key.data());
  std::uint64_t value = 0;
  std::memcpy(&value, out.data(), sizeof value);
  return value;
}

}  // namespace

std::size_t Admission::FailureKeyHash::operator()(const FailureKey& key) const noexcept {
  return IpAddressHash{}(key.source) ^ static_cast<std::size_t>(keyed_hash(key.device));
}

Admission::Admission(AdmissionLimits limits) : limits_(limits) {}

void Admission::set_limits(const AdmissionLimits& limits) {
  std::lock_guard lock(limits_mutex_);
  limits_ = limits;
}

AdmissionLimits Admission::limits() const {
  std::lock_guard lock(limits_mutex_);
  return limits_;
}

Admission::Shard& Admission::shard_of(const IpAddress& source) {
  return shards_[IpAddressHash{}(source) % shards_.size()];
}

bool Admission::admit(const IpAddress& ip) {
  const std::uint32_t cap = limits().max_unauthenticated_per_ip;
  const IpAddress source = ip.source();
  Shard& shard = shard_of(source);
  std::lock_guard lock(shard.mutex);
  auto [it, added] = shard.unauthenticated.try_emplace(source, 0);
  if (it->second >= cap) {
    if (added) shard.unauthenticated.erase(it);
    return false;
  }
  ++it->second;
  return true;
}

void Admission::release(const IpAddress& ip) {
  const IpAddress source = ip.source();
  Shard& shard = shard_of(source);
  std::lock_guard lock(shard.mutex);
  auto it = shard.unauthenticated.find(source);
  if (it == shard.unauthenticated.end()) return;
  if (--it->second == 0) shard.unauthenticated.erase(it);
}

bool Admission::backing_off(const IpAddress& ip, std::string_view device, Millis now) {
  FailureKey key{ip.source(), std::string(device)};
  Shard& shard = shard_of(key.source);
  std::lock_guard lock(shard.mutex);
  auto it = shard.failures.find(key);
  if (it == shard.failures.end()) return false;
  if (it->second.forget_at <= now) {
    shard.failures.erase(it);
    return false;
  }
  return it->second.blocked_until > now;
}

void Admission::record_failure(const IpAddress& ip, std::string_view device, Millis now) {
  const AdmissionLimits limits = this->limits();
  FailureKey key{ip.source(), std::string(device)};
  Shard& shard = shard_of(key.source);
  std::lock_guard lock(shard.mutex);
  auto it = shard.failures.find(key);
  if (it == shard.failures.end()) {
    make_room(shard, std::max<std::size_t>(limits.max_tracked / shards_.size(), 1), now);
    it = shard.failures.emplace(std::move(key), Failures{}).first;
  }
  Failures& state = it->second;
  if (state.forget_at <= now) state.count = 0;  // a failure long ago no longer counts
  ++state.count;
  Millis delay = limits.backoff_base_ms;
  for (std::uint32_t i = 1; i < state.count && delay < limits.backoff_max_ms; ++i) delay *= 2;
  state.blocked_until = now + std::min(delay, limits.backoff_max_ms);
  state.forget_at = now + kForgetAfterMax * std::max(limits.backoff_max_ms, Millis{1});
}

void Admission::record_success(const IpAddress& ip, std::string_view device) {
  FailureKey key{ip.source(), std::string(device)};
  Shard& shard = shard_of(key.source);
  std::lock_guard lock(shard.mutex);
  shard.failures.erase(key);
}

// Called with the shard's mutex held, before a new entry goes in.
void Admission::make_room(Shard& shard, std::size_t cap, Millis now) {
  if (shard.failures.size() < cap) return;
  std::erase_if(shard.failures, [now](const auto& entry) { return entry.second.forget_at <= now; });
  if (shard.failures.size() < cap) return;
  auto nearest_end = std::min_element(
      shard.failures.begin(), shard.failures.end(),
      [](const auto& a, const auto& b) { return a.second.forget_at < b.second.forget_at; });
  shard.failures.erase(nearest_end);
}

std::size_t Admission::tracked_sources() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.unauthenticated.size();
  }
  return total;
}

std::size_t Admission::tracked_failures() const {
  std::size_t total = 0;
  for (const Shard& shard : shards_) {
    std::lock_guard lock(shard.mutex);
    total += shard.failures.size();
  }
  return total;
}

}  // namespace kite::server
