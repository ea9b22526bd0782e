// [device]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"
#include "config/fields/proxy_rows.h"

namespace kite::server::config::fields {

ConfigSection device_section() {
  return {
      "device",
      "Who may connect to the device port: address lists and a per-source cap, checked\n"
      "when a connection is accepted, before any byte of it is read (behind a proxy that\n"
      "sends PROXY headers: once the header has named the client).",
      {
          list("device", "allow", kDevice, &DeviceConfig::allow,
               "CIDR blocks that may connect to the device port; empty = every address.\n"
               "\"10.0.0.0/8\", \"2001:db8::/32\", or a bare address (/32, /128). IPv4 blocks "
               "match\n"
               "IPv4 peers, including IPv4-mapped IPv6 ones (::ffff:a.b.c.d); IPv6 blocks match\n"
               "IPv6 peers. An address outside a non-empty list is closed at accept, before any\n"
               "byte is read. Applies to services on the port too. Reloaded on SIGHUP. In the\n"
               "environment: comma-separated."),
          list("device", "deny", kDevice, &DeviceConfig::deny,
               "CIDR blocks refused on the device port; deny wins over allow.\n"
               "Same syntax as allow. Reloaded on SIGHUP."),
          integer(
              "device", "max_connections_per_ip", kDevice, &DeviceConfig::max_connections_per_ip, 0,
              1000000,
              "Open device connections per source, authenticated or not; 0 = no cap.\n"
              "A source is an IPv4 address or an IPv6 /64. Generous because a NAT gateway or a\n"
              "carrier-grade NAT can carry thousands of devices on one address; the tight limit\n"
              "on strangers is auth.max_unauthenticated_per_ip. Behind a TCP proxy every\n"
              "connection comes from the proxy's address unless the proxy sends PROXY headers\n"
              "(proxy_protocol): raise it or set 0 otherwise. Over the cap a connection gets\n"
              "TooManyAttempts and is closed. Reloaded on SIGHUP."),
          proxy_protocol_row("device", kDevice, &DeviceConfig::proxy_protocol),
          proxy_from_row("device", kDevice, &DeviceConfig::proxy_from),
      }};
}

}  // namespace kite::server::config::fields
