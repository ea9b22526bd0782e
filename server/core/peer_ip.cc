#include "core/peer_ip.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

namespace kite::server {

PeerIp PeerIp::from(const sockaddr* address) {
  PeerIp ip;
  if (address->sa_family == AF_INET) {
    ip.family_ = 4;
    std::memcpy(ip.bytes_.data(), &reinterpret_cast<const sockaddr_in*>(address)->sin_addr, 4);
  } else if (address->sa_family == AF_INET6) {
    ip.family_ = 6;
    std::memcpy(ip.bytes_.data(), &reinterpret_cast<const sockaddr_in6*>(address)->sin6_addr, 16);
  }
  return ip;
}

PeerIp PeerIp::from(const IpAddress& address) {
  PeerIp ip;
  if (address.is_v4()) {
    ip.family_ = 4;
    std::memcpy(ip.bytes_.data(), address.bytes.data() + 12, 4);
  } else {
    ip.family_ = 6;
    ip.bytes_ = address.bytes;
  }
  return ip;
}

IpAddress PeerIp::address() const {
  IpAddress ip;
  if (family_ == 4) {
    ip.bytes[10] = ip.bytes[11] = 0xff;  // ::ffff:a.b.c.d
    std::memcpy(ip.bytes.data() + 12, bytes_.data(), 4);
  } else if (family_ == 6) {
    ip.bytes = bytes_;
  }
  return ip;
}

std::string PeerIp::text() const {
  char text[INET6_ADDRSTRLEN] = {};
  const int family = family_ == 4 ? AF_INET : AF_INET6;
  if (family_ == 0 || !inet_ntop(family, bytes_.data(), text, sizeof text)) return "?";
  return text;
}

}  // namespace kite::server
