// The two PROXY protocol rows that [device] and [admin] share (common/proxy_policy.h): one text
// for both ports, so the two cannot come to mean different things.
#pragma once

#include <string>
#include <vector>

#include "common/proxy_header.h"
#include "config/field_builders.h"

namespace kite::server::config::fields {

template <typename S>
FieldSpec proxy_protocol_row(std::string_view section, SectionPtr<S> of, ProxyVersions S::*member) {
  return choice(
      section, "proxy_protocol", of, member,
      {{"off", ProxyVersions::off},
       {"v1", ProxyVersions::v1},
       {"v2", ProxyVersions::v2},
       {"any", ProxyVersions::any}},
      "PROXY protocol headers (HAProxy's send-proxy, send-proxy-v2) from the proxies in\n"
      "proxy_from: \"off\", \"v1\" (text), \"v2\" (binary) or \"any\" (either, told apart\n"
      "by the first byte). When on, a connection from proxy_from must begin with a header\n"
      "(within auth.handshake_timeout_ms; on the admin port admin.head_timeout_ms) or it is\n"
      "refused; the client the header names is the one allow, deny, the per-IP caps, the\n"
      "back-off, logs and presence see. A\n"
      "connection from anywhere else that begins with a header is refused. LOCAL and\n"
      "UNKNOWN headers (health checks) keep the proxy's address. Reloaded on SIGHUP.");
}

template <typename S>
FieldSpec proxy_from_row(std::string_view section, SectionPtr<S> of,
                         std::vector<std::string> S::*member) {
  return list(section, "proxy_from", of, member,
              "CIDR blocks of the proxies that send PROXY headers (proxy_protocol on); same\n"
              "syntax as allow. Must not be empty when proxy_protocol is on. The proxies'\n"
              "own addresses need not be in allow. Reloaded on SIGHUP.");
}

}  // namespace kite::server::config::fields
