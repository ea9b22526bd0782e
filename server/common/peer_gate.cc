// Admission by address; see peer_gate.h.
#include "common/peer_gate.h"

#include "common/log.h"

namespace kite::server {

std::string_view refusal_name(Refusal refusal) {
  switch (refusal) {
    case Refusal::none:
      return "none";
    case Refusal::deny_list:
      return "deny_list";
    case Refusal::not_allowed:
      return "not_allowed";
    case Refusal::per_ip_cap:
      return "per_ip_cap";
    case Refusal::proxy_header:
      return "proxy_header";
    case Refusal::untrusted_proxy_header:
      return "untrusted_proxy_header";
  }
  return "none";
}

PeerGate::PeerGate(std::string port)
    : port_(std::move(port)), policy_(std::make_shared<const Policy>()) {}

void PeerGate::configure(Policy policy) {
  auto next = std::make_shared<const Policy>(std::move(policy));
  std::lock_guard lock(policy_mutex_);
  policy_ = std::move(next);
}

std::shared_ptr<const PeerGate::Policy> PeerGate::policy() const {
  std::lock_guard lock(policy_mutex_);
  return policy_;
}

PeerGate::Shard& PeerGate::shard_of(const IpAddress& source) {
  return shards_[IpAddressHash{}(source) % shards_.size()];
}

PeerGate::Admission PeerGate::enter(const IpAddress& ip) {
  auto current = policy();
  Refusal refusal = Refusal::none;
  switch (current->addresses.check(ip)) {
    case AddressPolicy::Verdict::denied:
      refusal = Refusal::deny_list;
      break;
    case AddressPolicy::Verdict::not_allowed:
      refusal = Refusal::not_allowed;
      break;
    case AddressPolicy::Verdict::admitted:
      break;
  }
  if (refusal == Refusal::none && current->max_per_ip != 0) {
    const IpAddress source = ip.source();
    Shard& shard = shard_of(source);
    std::lock_guard lock(shard.mutex);
    std::uint32_t& open = shard.open[source];
    if (open < current->max_per_ip) {
      ++open;
      return {Refusal::none, true};
    }
    refusal = Refusal::per_ip_cap;
  }
  if (refusal == Refusal::none) return {};
  refused_[static_cast<std::size_t>(refusal)].fetch_add(1, std::memory_order_relaxed);
  log_refusal(ip, refusal);
  return {refusal, false};
}

PeerGate::ProxyExpectation PeerGate::proxy_expectation(const IpAddress& socket_ip) const {
  auto current = policy();
  return {current->proxy.expect(socket_ip), current->proxy.versions()};
}

void PeerGate::refuse(const IpAddress& ip, Refusal refusal, std::string_view detail) {
  refused_[static_cast<std::size_t>(refusal)].fetch_add(1, std::memory_order_relaxed);
  log_refusal(ip, refusal, detail);
}

void PeerGate::leave(const IpAddress& ip) {
  const IpAddress source = ip.source();
  Shard& shard = shard_of(source);
  std::lock_guard lock(shard.mutex);
  auto it = shard.open.find(source);
  if (it == shard.open.end()) return;
  if (--it->second == 0) shard.open.erase(it);
}

std::uint64_t PeerGate::refused(Refusal reason) const {
  return refused_[static_cast<std::size_t>(reason)].load(std::memory_order_relaxed);
}

std::uint32_t PeerGate::connections_from(const IpAddress& ip) const {
  const IpAddress source = ip.source();
  const Shard& shard = shards_[IpAddressHash{}(source) % shards_.size()];
  std::lock_guard lock(shard.mutex);
  auto it = shard.open.find(source);
  return it == shard.open.end() ? 0 : it->second;
}

void PeerGate::log_refusal(const IpAddress& ip, Refusal refusal, std::string_view detail) {
  auto suppressed = log_limiter_.admit();
  if (!suppressed) return;
  if (!detail.empty()) {
    KITE_LOG(warn, "connection.refused",
             {{"port", port_},
              {"ip", ip.text()},
              {"reason", refusal_name(refusal)},
              {"detail", detail},
              {"suppressed", *suppressed}});
    return;
  }
  KITE_LOG(warn, "connection.refused",
           {{"port", port_},
            {"ip", ip.text()},
            {"reason", refusal_name(refusal)},
            {"suppressed", *suppressed}});
}

}  // namespace kite::server
