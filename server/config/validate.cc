#include "config/validate.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/cidr.h"
#include "config/admin_tokens.h"
#include "config/endpoint.h"
#include "config/field_table.h"
#include "config/redis_settings.h"
#include "config/tls_settings.h"
#include "config/toml_text.h"
#include "config/webhooks_config.h"

namespace kite::server::config {
namespace {

constexpr std::size_t kMinKeyBytes = 32;
constexpr std::size_t kMinAdminTokenChars = 16;

using Problems = std::vector<Problem>;

// Reads a small file the server needs at start; returns why it cannot, or an empty string.
std::string read_file(const std::string& path, std::string* contents) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot read {}: {}", toml_quoted(path), std::strerror(errno));
  struct stat info {};
  std::string problem;
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    problem = fmt::format("cannot read {}: not a regular file", toml_quoted(path));
  } else if (contents) {
    char buffer[4096];
    for (ssize_t n; (n = read(fd, buffer, sizeof buffer)) > 0;) {
      contents->append(buffer, static_cast<std::size_t>(n));
    }
  }
  close(fd);
  return problem;
}

void check_listener(const std::string& key, const std::string& text, Mode mode, Problems& out) {
  auto endpoint = parse_endpoint(text);
  if (!endpoint) {
    out.push_back({key, fmt::format("expected host:port with a numeric IPv4 host or a bracketed "
                                    "IPv6 host ([::1]:7000) and a port 0..65535, got {}",
                                    toml_quoted(text))});
  } else if (mode == Mode::development && !endpoint->is_loopback()) {
    out.push_back({key, fmt::format("development mode listens on loopback addresses only, got {} "
                                    "(set server.mode = \"production\")",
                                    toml_quoted(text))});
  }
}

void check_listeners(const Config& c, Problems& out) {
  const auto& devices = c.server.device_listen;
  if (devices.empty()) out.push_back({"server.device_listen", "expected at least one host:port"});
  for (std::size_t i = 0; i < devices.size(); ++i) {
    check_listener("server.device_listen", devices[i], c.server.mode, out);
    auto endpoint = parse_endpoint(devices[i]);
    bool fixed_port = endpoint && endpoint->port != 0;
    for (std::size_t j = 0; fixed_port && j < i; ++j) {
      if (devices[j] == devices[i]) {
        out.push_back(
            {"server.device_listen", fmt::format("{} is listed twice", toml_quoted(devices[i]))});
      }
    }
  }
  const std::string& admin = c.server.admin_listen;
  check_listener("server.admin_listen", admin, c.server.mode, out);
  auto admin_endpoint = parse_endpoint(admin);
  if (admin_endpoint && admin_endpoint->port != 0 &&
      std::find(devices.begin(), devices.end(), admin) != devices.end()) {
    out.push_back(
        {"server.admin_listen", fmt::format("{} is also a device listener", toml_quoted(admin))});
  }
  if (c.server.data_dir.empty() && c.store.engine == StoreEngine::rocksdb) {
    out.push_back({"server.data_dir", "expected a directory for the rocksdb store, got \"\""});
  }
  if (c.store.engine == StoreEngine::redis) check_redis(c.redis, out);
}

// Each entry a CIDR block; problems keyed by entry: device.deny[2]: "10.0.0.0/33": prefix ...
void check_address_list(std::string_view key, const std::vector<std::string>& list, Problems& out) {
  for (std::size_t i = 0; i < list.size(); ++i) {
    CidrParse parsed = parse_cidr(list[i]);
    if (!parsed.block) {
      out.push_back({fmt::format("{}[{}]", key, i),
                     fmt::format("{}: {}", toml_quoted(list[i]), parsed.error)});
    }
  }
}

// PROXY protocol on with nobody to take it from trusts no one: almost surely a forgotten list.
void check_proxy(std::string_view section, ProxyVersions versions,
                 const std::vector<std::string>& from, Problems& out) {
  check_address_list(fmt::format("{}.proxy_from", section), from, out);
  if (versions != ProxyVersions::off && from.empty())
    out.push_back({fmt::format("{}.proxy_from", section),
                   fmt::format("{}.proxy_protocol is on: list the proxies' addresses", section)});
}

void check_files(const AuthConfig& auth, Problems& out) {
  if (!auth.master_key_file.empty()) {
    std::string contents;
    auto problem = read_file(auth.master_key_file, &contents);
    if (problem.empty()) problem = hex_key_problem(trim(contents), kMinKeyBytes);
    if (!problem.empty()) out.push_back({"auth.master_key_file", problem});
  }
  std::pair<const char*, const std::string*> files[] = {
      {"auth.device_keys_file", &auth.device_keys_file},
      {"auth.revocation_file", &auth.revocation_file},
      {"auth.service_credentials_file", &auth.service_credentials_file}};
  for (const auto& [key, path] : files) {
    if (path->empty()) continue;
    if (auto problem = read_file(*path, nullptr); !problem.empty()) out.push_back({key, problem});
  }
}

void check_auth(const Config& c, Problems& out) {
  const AuthConfig& auth = c.auth;
  if (!auth.master_key.empty()) {
    auto problem = hex_key_problem(auth.master_key, kMinKeyBytes);
    if (!problem.empty()) out.push_back({"auth.master_key", problem});
  }
  if (!auth.master_key.empty() && !auth.master_key_file.empty()) {
    out.push_back({"auth.master_key_file",
                   "auth.master_key and auth.master_key_file are exclusive: set only one"});
  }
  if (!auth.token_key.empty()) {
    auto problem = hex_key_problem(auth.token_key, kMinKeyBytes);
    if (!problem.empty()) out.push_back({"auth.token_key", problem});
  }
  check_files(auth, out);
}

void check_production(const Config& c, Problems& out) {
  if (c.server.mode != Mode::production) return;
  const AuthConfig& auth = c.auth;
  if (auth.master_key.empty() && auth.master_key_file.empty() && auth.device_keys_file.empty() &&
      auth.token_key.empty()) {
    out.push_back({"auth.master_key",
                   "production mode needs a device key source: set auth.master_key, "
                   "auth.master_key_file, auth.device_keys_file or auth.token_key"});
  }
  if (c.admin.token.empty() && !c.admin.tokens.empty()) return;  // named tokens only
  if (c.admin.token.size() < kMinAdminTokenChars) {
    out.push_back({"admin.token", fmt::format("production mode needs a token of {}+ characters, "
                                              "got {} (or [[admin.tokens]] entries instead)",
                                              kMinAdminTokenChars, c.admin.token.size())});
  }
}

void check_at_least(Problems& out, std::string_view key, std::uint64_t value,
                    std::string_view other_key, std::uint64_t other) {
  if (value < other) {
    out.push_back({std::string(key),
                   fmt::format("expected at least {} ({}), got {}", other_key, other, value)});
  }
}

void check_cross_limits(const Config& c, Problems& out) {
  check_at_least(out, "session.keepalive_ms", c.session.keepalive_ms, "session.min_keepalive_ms",
                 c.session.min_keepalive_ms);
  check_at_least(out, "auth.failed_auth_backoff_max_ms", c.auth.failed_auth_backoff_max_ms,
                 "auth.failed_auth_backoff_base_ms", c.auth.failed_auth_backoff_base_ms);
  check_at_least(out, "store.per_device_bytes", c.store.per_device_bytes, "session.max_frame",
                 c.session.max_frame);
  check_at_least(out, "store.global_messages", c.store.global_messages, "store.per_device_messages",
                 c.store.per_device_messages);
  check_at_least(out, "store.global_bytes", c.store.global_bytes, "store.per_device_bytes",
                 c.store.per_device_bytes);
}

// [tls]: what the listener needs, then whether the files load (TlsContext::create's words).
void check_device_groups(const SessionConfig& session, Problems& out) {
  if (session.device_groups == DeviceGroups::prefix && session.device_group_pattern.empty())
    out.push_back({"session.device_group_pattern",
                   "device_groups = \"prefix\" needs a pattern: an empty one allows every group"});
}

void check_tls(const Config& c, Problems& out) {
  const TlsConfig& tls = c.tls;
  if (tls.listen.empty()) return;
  check_listener("tls.listen", tls.listen, c.server.mode, out);
  const auto& devices = c.server.device_listen;
  if (std::find(devices.begin(), devices.end(), tls.listen) != devices.end() ||
      tls.listen == c.server.admin_listen) {
    if (auto endpoint = parse_endpoint(tls.listen); endpoint && endpoint->port != 0)
      out.push_back(
          {"tls.listen", fmt::format("{} is also a plain listener", toml_quoted(tls.listen))});
  }
  const std::size_t before = out.size();
  if (tls.cert_file.empty())
    out.push_back({"tls.cert_file", "tls.listen is set: kited needs its certificate (PEM)"});
  if (tls.key_file.empty())
    out.push_back({"tls.key_file", "tls.listen is set: kited needs its private key (PEM)"});
  if (tls.client_cert != ClientCert::none && tls.ca_file.empty())
    out.push_back({"tls.ca_file",
                   "tls.client_cert is not \"none\": name the CA bundle that signs device "
                   "certificates"});
  if (out.size() != before) return;
  if (auto problem = tls_load_problem(device_tls_settings(tls)); !problem.empty())
    out.push_back({"tls", problem});
}

// [websocket]: listeners of their own, the TLS one with [tls]'s certificate, and a path.
void check_websocket(const Config& c, Problems& out) {
  const WebSocketConfig& ws = c.websocket;
  if (!ws.listen.empty()) check_listener("websocket.listen", ws.listen, c.server.mode, out);
  if (!ws.tls_listen.empty()) {
    check_listener("websocket.tls_listen", ws.tls_listen, c.server.mode, out);
    if (c.tls.cert_file.empty() || c.tls.key_file.empty())
      out.push_back({"websocket.tls_listen",
                     "wss:// uses [tls]'s certificate: set tls.cert_file and tls.key_file"});
  }
  if (ws.path.empty() || ws.path.front() != '/' ||
      ws.path.find_first_of(" ?#\r\n") != std::string::npos)
    out.push_back({"websocket.path",
                   fmt::format("{} is not a request path: it starts with '/', without a query",
                               toml_quoted(ws.path))});
  for (const std::string& origin : ws.origins)
    if (origin.empty() || origin.find_first_of(" \r\n,") != std::string::npos)
      out.push_back({"websocket.origins",
                     fmt::format("{} is not an origin such as \"https://app.example.com\"",
                                 toml_quoted(origin))});
}

// [record]: a directory to write to, and device ids as the protocol allows them.
void check_record(const RecordConfig& record, Problems& out) {
  if (record.directory.empty())
    out.push_back({"record.directory", "expected a directory for the recordings, got \"\""});
  if (record.devices.size() > kMaxRecordedDevices)
    out.push_back({"record.devices", fmt::format("expected at most {} device ids, got {}",
                                                 kMaxRecordedDevices, record.devices.size())});
  for (std::size_t i = 0; i < record.devices.size(); ++i) {
    if (auto problem = device_id_problem(record.devices[i]); !problem.empty())
      out.push_back({fmt::format("record.devices[{}]", i), problem});
  }
}

void check_admin_tls(const AdminConfig& admin, Problems& out) {
  if (admin.tls_cert_file.empty() && admin.tls_key_file.empty()) return;
  if (admin.tls_cert_file.empty() || admin.tls_key_file.empty()) {
    out.push_back({admin.tls_cert_file.empty() ? "admin.tls_cert_file" : "admin.tls_key_file",
                   "HTTPS needs both admin.tls_cert_file and admin.tls_key_file"});
    return;
  }
  if (auto problem = tls_load_problem(admin_tls_settings(admin)); !problem.empty())
    out.push_back({"admin.tls_cert_file", problem});
}

}  // namespace

std::string hex_key_problem(std::string_view hex, std::size_t min_bytes) {
  auto bad = hex.find_first_not_of("0123456789abcdefABCDEF");
  if (bad != std::string_view::npos) {
    return fmt::format("expected hex digits only, got a non-hex character at position {}", bad);
  }
  if (hex.size() % 2 != 0) {
    return fmt::format("expected an even number of hex digits, got {}", hex.size());
  }
  if (hex.size() / 2 < min_bytes) {
    return fmt::format("expected at least {} bytes ({} hex digits), got {} bytes", min_bytes,
                       min_bytes * 2, hex.size() / 2);
  }
  return {};
}

std::string device_id_problem(std::string_view id) {
  if (id.empty() || id.size() > kMaxDeviceIdBytes)
    return fmt::format("expected a device id of 1 to {} bytes, got {} bytes", kMaxDeviceIdBytes,
                       id.size());
  for (char c : id)
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
      return fmt::format("{}: a device id has no control characters", toml_quoted(id));
  if (id.starts_with("service:"))
    return fmt::format("{}: \"service:\" ids are services, not devices", toml_quoted(id));
  return {};
}

std::vector<Problem> validate(const Config& config) {
  Problems problems;
  for (const auto& field : field_table()) {
    if (auto message = field.check(config); !message.empty()) {
      problems.push_back({field.path(), message});
    }
  }
  check_listeners(config, problems);
  // The names of events/event.h's types (config does not link the event code).
  static constexpr std::string_view kEventTypes[] = {
      "uplink", "connect", "disconnect", "receipt", "undelivered", "expired", "dropped"};
  for (const auto& type : config.events.types) {
    if (std::find(std::begin(kEventTypes), std::end(kEventTypes), type) == std::end(kEventTypes))
      problems.push_back(
          {"events.types", fmt::format("expected \"uplink\", \"connect\", \"disconnect\", "
                                       "\"receipt\", \"undelivered\", \"expired\" or "
                                       "\"dropped\", got {}",
                                       toml_quoted(type))});
  }
  check_address_list("device.allow", config.device.allow, problems);
  check_address_list("device.deny", config.device.deny, problems);
  check_address_list("admin.allow", config.admin.allow, problems);
  check_address_list("admin.deny", config.admin.deny, problems);
  check_proxy("device", config.device.proxy_protocol, config.device.proxy_from, problems);
  check_proxy("admin", config.admin.proxy_protocol, config.admin.proxy_from, problems);
  check_auth(config, problems);
  check_device_groups(config.session, problems);
  check_admin_tokens(config.admin, problems);
  check_webhooks(config, problems);
  check_tls(config, problems);
  check_websocket(config, problems);
  check_admin_tls(config.admin, problems);
  check_record(config.record, problems);
  check_production(config, problems);
  check_cross_limits(config, problems);
  return problems;
}

}  // namespace kite::server::config
