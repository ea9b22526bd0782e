#include "endpoint.h"

#include <charconv>

#include "kite/websocket/handshake.h"

namespace kite::sdk {
namespace {

// "host[:port]" or "[v6][:port]" into its parts; false if malformed.
bool split_authority(std::string_view authority, std::uint16_t default_port, std::string& host,
                     std::uint16_t& port) {
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return false;
    host = authority.substr(1, close - 1);
    authority.remove_prefix(close + 1);
    if (!authority.empty() && !authority.starts_with(':')) return false;
    if (!authority.empty()) port_text = authority.substr(1);
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host.empty()) return false;
  port = default_port;
  if (port_text.empty()) return true;
  unsigned value = 0;
  const auto [end, error] = std::from_chars(port_text.begin(), port_text.end(), value);
  if (error != std::errc() || end != port_text.end() || value == 0 || value > 65535) return false;
  port = static_cast<std::uint16_t>(value);
  return true;
}

std::string read_url(const std::string& url, Endpoint& endpoint) {
  std::string_view rest = url;
  if (rest.starts_with("ws://")) {
    rest.remove_prefix(5);
  } else if (rest.starts_with("wss://")) {
    rest.remove_prefix(6);
    endpoint.tls = true;
  } else {
    return "url: expected ws://host[:port][/path] or wss://..., not \"" + url + "\"";
  }
  const std::size_t slash = rest.find('/');
  const std::string_view authority = rest.substr(0, slash);
  const std::string path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.find('@') != std::string_view::npos || path.find('#') != std::string::npos ||
      path.find_first_of(" \r\n") != std::string::npos ||
      !split_authority(authority, endpoint.tls ? 443 : 80, endpoint.host, endpoint.port))
    return "url: \"" + url + "\" is not a ws:// or wss:// URL with a host";
  if (!websocket::accept_key_available())
    return "url: this SDK was built without OpenSSL (kite_tls_none), and WebSocket needs its "
           "SHA-1 for the upgrade: link kite_tls and kite_websocket";
  endpoint.websocket_path = path;
  return {};
}

std::string read_proxy(const std::string& proxy, Endpoint& endpoint) {
  std::string_view rest = proxy;
  if (!rest.starts_with("http://"))
    return "proxy: expected http://[user:password@]host:port, not \"" + proxy + "\"";
  rest.remove_prefix(7);
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (const std::size_t at = rest.rfind('@'); at != std::string_view::npos) {
    const std::string_view credentials = rest.substr(0, at);
    const std::size_t colon = credentials.find(':');
    endpoint.proxy_authorization = websocket::basic_authorization(
        credentials.substr(0, colon),
        colon == std::string_view::npos ? std::string_view() : credentials.substr(colon + 1));
    rest.remove_prefix(at + 1);
  }
  if (rest.find('/') != std::string_view::npos ||
      !split_authority(rest, 80, endpoint.proxy_host, endpoint.proxy_port))
    return "proxy: \"" + proxy + "\" is not http://[user:password@]host:port";
  return {};
}

}  // namespace

std::string Endpoint::host_and_port() const {
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string read_endpoint(const ClientOptions& options, Endpoint& endpoint) {
  endpoint = Endpoint{};
  endpoint.host = options.host;
  endpoint.port = options.port;
  endpoint.tls = options.tls.enabled;
  if (!options.url.empty()) {
    if (auto problem = read_url(options.url, endpoint); !problem.empty()) return problem;
    if (options.tls.enabled && !endpoint.tls)
      return "url: ws:// is plain, but tls.enabled is true: use wss://";
  }
  if (endpoint.host.empty()) return "host is empty";
  if (endpoint.port == 0) return "port is 0";
  if (!options.proxy.empty()) return read_proxy(options.proxy, endpoint);
  return {};
}

std::string connect_request(const Endpoint& endpoint) {
  const std::string target = endpoint.host_and_port();
  std::string request = "CONNECT " + target + " HTTP/1.1\r\nHost: " + target + "\r\n";
  if (!endpoint.proxy_authorization.empty())
    request += "Proxy-Authorization: " + endpoint.proxy_authorization + "\r\n";
  return request + "\r\n";
}

}  // namespace kite::sdk
