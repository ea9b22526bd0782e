// The rows of the field table, and the four typed builders (integer, text, list, choice) that
// make a row's readers, range check and writer from a pointer to the Config member.
#include "config/field_table.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <utility>

#include "config/admin_tokens.h"
#include "config/toml_text.h"

namespace kite::server::config {
namespace {

template <typename S>
using SectionPtr = S Config::*;

// A row with its names and text; the builders below fill in its functions.
FieldSpec row(std::string_view section, std::string_view key, std::string_view doc, bool secret) {
  FieldSpec field;
  field.section = section;
  field.key = key;
  field.doc = doc;
  field.secret = secret;
  return field;
}

template <typename S, typename T>
FieldSpec integer(std::string_view section, std::string_view key, SectionPtr<S> of, T S::*member,
                  std::int64_t min, std::int64_t max, std::string_view doc) {
  auto expected = fmt::format("expected an integer {}..{}", min, max);
  auto assign = [=](Config& c, std::int64_t value) -> std::string {
    if (value < min || value > max) return fmt::format("{}, got {}", expected, value);
    (c.*of).*member = static_cast<T>(value);
    return {};
  };
  FieldSpec field = row(section, key, doc, false);
  field.range = fmt::format("{}..{}", min, max);
  field.read_toml = [=](Config& c, const toml::node& node) {
    if (!node.is_integer()) return fmt::format("{}, got {}", expected, describe_node(node));
    return assign(c, node.as_integer()->get());
  };
  field.read_text = [=](Config& c, std::string_view text) {
    std::int64_t value = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size()) {
      return fmt::format("{}, got {}", expected, toml_quoted(text));
    }
    return assign(c, value);
  };
  field.check = [=](const Config& c) -> std::string {
    T value = (c.*of).*member;
    if (std::cmp_less(value, min) || std::cmp_greater(value, max)) {
      return fmt::format("{}, got {}", expected, value);
    }
    return {};
  };
  field.write_toml = [=](const Config& c) { return fmt::format("{}", (c.*of).*member); };
  return field;
}

template <typename S>
FieldSpec text(std::string_view section, std::string_view key, SectionPtr<S> of,
               std::string S::*member, std::string_view doc, bool secret = false) {
  FieldSpec field = row(section, key, doc, secret);
  field.read_toml = [=](Config& c, const toml::node& node) -> std::string {
    if (!node.is_string()) return "expected a string, got " + describe_node(node);
    (c.*of).*member = node.as_string()->get();
    return {};
  };
  field.read_text = [=](Config& c, std::string_view value) {
    (c.*of).*member = std::string(value);
    return std::string();
  };
  field.check = [](const Config&) { return std::string(); };
  field.write_toml = [=](const Config& c) { return toml_quoted((c.*of).*member); };
  return field;
}

template <typename S>
FieldSpec list(std::string_view section, std::string_view key, SectionPtr<S> of,
               std::vector<std::string> S::*member, std::string_view doc) {
  FieldSpec field = row(section, key, doc, false);
  field.read_toml = [=](Config& c, const toml::node& node) -> std::string {
    const toml::array* array = node.as_array();
    if (!array) return "expected an array of strings, got " + describe_node(node);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      const toml::node& item = *array->get(i);
      if (!item.is_string()) {
        return fmt::format("expected an array of strings, got {} at index {}", describe_node(item),
                           i);
      }
      values.push_back(item.as_string()->get());
    }
    (c.*of).*member = std::move(values);
    return {};
  };
  field.read_text = [=](Config& c, std::string_view value) -> std::string {
    std::vector<std::string> values;
    while (!value.empty()) {
      auto comma = std::min(value.find(','), value.size());
      auto item = trim(value.substr(0, comma));
      if (item.empty()) return "expected a comma-separated list, got an empty item";
      values.emplace_back(item);
      value.remove_prefix(std::min(comma + 1, value.size()));
    }
    (c.*of).*member = std::move(values);
    return {};
  };
  field.check = [](const Config&) { return std::string(); };
  field.write_toml = [=](const Config& c) {
    std::string out = "[";
    for (const auto& item : (c.*of).*member)
      out += (out.size() > 1 ? ", " : "") + toml_quoted(item);
    return out + "]";
  };
  return field;
}

template <typename S, typename E>
FieldSpec choice(std::string_view section, std::string_view key, SectionPtr<S> of, E S::*member,
                 std::vector<std::pair<std::string_view, E>> names, std::string_view doc) {
  std::string expected = names.size() == 2 ? "expected " : "expected one of ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) expected += names.size() == 2 ? " or " : ", ";
    expected += toml_quoted(names[i].first);
  }
  auto assign = [=](Config& c, std::string_view value) -> std::string {
    for (const auto& [name, e] : names) {
      if (name == value) {
        (c.*of).*member = e;
        return {};
      }
    }
    return fmt::format("{}, got {}", expected, toml_quoted(value));
  };
  FieldSpec field = row(section, key, doc, false);
  field.read_toml = [=](Config& c, const toml::node& node) {
    if (!node.is_string()) return fmt::format("{}, got {}", expected, describe_node(node));
    return assign(c, node.as_string()->get());
  };
  field.read_text = assign;
  field.check = [](const Config&) { return std::string(); };
  field.write_toml = [=](const Config& c) {
    for (const auto& [name, e] : names) {
      if (e == (c.*of).*member) return toml_quoted(name);
    }
    return std::string("\"?\"");
  };
  return field;
}

template <typename S>
FieldSpec boolean(std::string_view section, std::string_view key, SectionPtr<S> of, bool S::*member,
                  std::string_view doc) {
  FieldSpec field = row(section, key, doc, false);
  field.read_toml = [=](Config& c, const toml::node& node) -> std::string {
    if (!node.is_boolean()) return "expected true or false, got " + describe_node(node);
    (c.*of).*member = node.as_boolean()->get();
    return {};
  };
  field.read_text = [=](Config& c, std::string_view value) -> std::string {
    if (value != "true" && value != "false")
      return "expected true or false, got " + toml_quoted(value);
    (c.*of).*member = value == "true";
    return {};
  };
  field.check = [](const Config&) { return std::string(); };
  field.write_toml = [=](const Config& c) {
    return std::string((c.*of).*member ? "true" : "false");
  };
  return field;
}

constexpr auto kServer = &Config::server;
constexpr auto kDevice = &Config::device;
constexpr auto kAuth = &Config::auth;
constexpr auto kAdmin = &Config::admin;
constexpr auto kTls = &Config::tls;
constexpr auto kSession = &Config::session;
constexpr auto kStore = &Config::store;
constexpr auto kEvents = &Config::events;
constexpr auto kRecord = &Config::record;
constexpr auto kCompression = &Config::compression;
constexpr auto kLog = &Config::log;

std::vector<FieldSpec> make_table() {
  using S = ServerConfig;
  using A = AuthConfig;
  using Se = SessionConfig;
  using St = StoreConfig;
  return {
      choice("server", "mode", kServer, &S::mode,
             {{"development", Mode::development}, {"production", Mode::production}},
             "Security mode: \"development\" or \"production\".\n"
             "development: every listener must be a loopback address; when no master key is set\n"
             "and admin.token is empty, both are generated at start and printed once.\n"
             "production: needs a device key source (auth.master_key, auth.master_key_file,\n"
             "auth.device_keys_file or auth.token_key), and admin.token (16+ characters) or\n"
             "[[admin.tokens]] entries."),
      list("server", "device_listen", kServer, &S::device_listen,
           "Device protocol listeners, \"host:port\".\n"
           "Hosts are numeric: IPv4 as 0.0.0.0:7000, IPv6 in brackets as [::1]:7000.\n"
           "Port 0 takes an ephemeral port (tests). In the environment: comma-separated."),
      text("server", "admin_listen", kServer, &S::admin_listen,
           "HTTP admin API listener, \"host:port\".\n"
           "Same syntax as device_listen; in development mode, loopback only."),
      text("server", "data_dir", kServer, &S::data_dir,
           "Directory of the durable store; created at start if missing."),
      integer("server", "workers", kServer, &S::workers, 0, 256,
              "Worker threads (one libuv loop each); 0 = one per core."),
      integer("server", "drain_delay_ms", kServer, &S::drain_delay_ms, 0, 600000,
              "On SIGTERM, how long /readyz answers 503 (draining) before devices are sent\n"
              "away, so that load balancers stop sending new connections first."),
      integer("server", "drain_reconnect_spread_ms", kServer, &S::drain_reconnect_spread_ms, 0,
              3600000,
              "Devices sent away at shutdown are told to reconnect after a random delay up to\n"
              "this, so that they do not all come back to the next server at once."),

      list("device", "allow", kDevice, &DeviceConfig::allow,
           "CIDR blocks that may connect to the device port; empty = every address.\n"
           "\"10.0.0.0/8\", \"2001:db8::/32\", or a bare address (/32, /128). IPv4 blocks match\n"
           "IPv4 peers, including IPv4-mapped IPv6 ones (::ffff:a.b.c.d); IPv6 blocks match\n"
           "IPv6 peers. An address outside a non-empty list is closed at accept, before any\n"
           "byte is read. Applies to services on the port too. Reloaded on SIGHUP. In the\n"
           "environment: comma-separated."),
      list("device", "deny", kDevice, &DeviceConfig::deny,
           "CIDR blocks refused on the device port; deny wins over allow.\n"
           "Same syntax as allow. Reloaded on SIGHUP."),
      integer("device", "max_connections_per_ip", kDevice, &DeviceConfig::max_connections_per_ip, 0,
              1000000,
              "Open device connections per source, authenticated or not; 0 = no cap.\n"
              "A source is an IPv4 address or an IPv6 /64. Generous because a NAT gateway or a\n"
              "carrier-grade NAT can carry thousands of devices on one address; the tight limit\n"
              "on strangers is auth.max_unauthenticated_per_ip. Behind a TCP proxy every\n"
              "connection comes from the proxy's address: raise it or set 0. Over the cap a\n"
              "connection gets TooManyAttempts and is closed. Reloaded on SIGHUP."),

      text("auth", "master_key", kAuth, &A::master_key,
           "Fleet master key, hex, 32+ bytes (64+ hex digits).\n"
           "A device's key is HMAC-SHA256(master key, device id). Prefer master_key_file or\n"
           "KITE_AUTH_MASTER_KEY to keep it out of this file. Exclusive with master_key_file.",
           true),
      text("auth", "master_key_file", kAuth, &A::master_key_file,
           "File holding the hex master key.\n"
           "Surrounding whitespace is ignored. Exclusive with master_key."),
      text("auth", "device_keys_file", kAuth, &A::device_keys_file,
           "Per-device keys file: lines \"device-id hexkey\".\n"
           "# starts a comment. Reloaded on SIGHUP. A listed key takes precedence over the\n"
           "key derived from the master key."),
      text("auth", "token_key", kAuth, &A::token_key,
           "Hex key verifying signed device tokens; empty = no token auth.\n"
           "32+ bytes (64+ hex digits). Prefer KITE_AUTH_TOKEN_KEY to this file.",
           true),
      text("auth", "revocation_file", kAuth, &A::revocation_file,
           "Revoked device ids file, one id per line.\n"
           "# starts a comment. Reloaded on SIGHUP, which also closes the live sessions of\n"
           "newly revoked devices."),
      text("auth", "service_credentials_file", kAuth, &A::service_credentials_file,
           "Service credentials file: lines \"service-name hexkey\".\n"
           "For backends that send and receive over the binary protocol. # starts a comment."),
      integer("auth", "handshake_timeout_ms", kAuth, &A::handshake_timeout_ms, 100, 300000,
              "Time allowed from accept to a completed handshake.\n"
              "A connection still unauthenticated then is closed."),
      integer("auth", "max_unauthenticated_per_ip", kAuth, &A::max_unauthenticated_per_ip, 1,
              1000000, "Unauthenticated connections allowed per client IP."),
      integer("auth", "failed_auth_backoff_base_ms", kAuth, &A::failed_auth_backoff_base_ms, 0,
              3600000,
              "First delay imposed on an IP after a failed authentication.\n"
              "It doubles with each further failure, up to failed_auth_backoff_max_ms.\n"
              "0 = no back-off."),
      integer("auth", "failed_auth_backoff_max_ms", kAuth, &A::failed_auth_backoff_max_ms, 0,
              86400000,
              "Largest failed-authentication delay.\n"
              "At least failed_auth_backoff_base_ms."),
      boolean("auth", "token_over_plaintext", kAuth, &A::token_over_plaintext,
              "Production mode: accept Token logins on the plain (non-TLS) device listener.\n"
              "A token is a bearer credential anyone on the path can reuse until it expires,\n"
              "so they are refused (AuthFailed) unless this is true. Development mode always\n"
              "accepts them. Each accepted one is logged as a warning."),

      text("admin", "token", kAdmin, &AdminConfig::token,
           "Bearer token of the HTTP admin API with every scope, 16+ characters.\n"
           "Sent as \"Authorization: Bearer <token>\". Empty in development mode: generated\n"
           "at start and printed once. Optional in production when admin.tokens has entries.\n"
           "Prefer KITE_ADMIN_TOKEN to keep it out of this file. Reloaded on SIGHUP.",
           true),
      admin_tokens_row(
          "Named bearer tokens with scopes, as [[admin.tokens]] tables (file only):\n"
          "  [[admin.tokens]]\n"
          "  name = \"billing-backend\"   # in logs instead of the secret\n"
          "  token_sha256 = \"<64 hex digits>\"  # printf %s \"$TOKEN\" | sha256sum\n"
          "  scopes = [\"send\", \"read\"]\n"
          "Give token = \"<16+ characters>\" or token_sha256, not both. Scopes: \"send\"\n"
          "(messages, commands, group membership), \"read\" (devices, groups, events,\n"
          "/metrics), \"admin\" (everything, kick included). Reloaded on SIGHUP.\n"
          "Tables go after the other [admin] keys, replacing the \"tokens = []\" line; or\n"
          "inline: tokens = [{ name = \"grafana\", token_sha256 = \"...\", scopes = [\"read\"] }]"),
      list("admin", "allow", kAdmin, &AdminConfig::allow,
           "CIDR blocks that may connect to the admin port; empty = every address.\n"
           "Same syntax and rules as device.allow. Refused connections are closed at accept,\n"
           "without an HTTP answer. Reloaded on SIGHUP."),
      list("admin", "deny", kAdmin, &AdminConfig::deny,
           "CIDR blocks refused on the admin port; deny wins over allow.\n"
           "Reloaded on SIGHUP."),
      integer("admin", "max_connections_per_ip", kAdmin, &AdminConfig::max_connections_per_ip, 0,
              1000000,
              "Open HTTP connections per source (IPv4 address or IPv6 /64); 0 = no cap.\n"
              "Over it a connection gets 429 and is closed. The admin port takes 1024\n"
              "connections in all, so one client cannot hold every one. Reloaded on SIGHUP."),
      integer("admin", "max_body_bytes", kAdmin, &AdminConfig::max_body_bytes, 1024, 1073741824,
              "Largest HTTP request body; larger requests get 413."),
      integer("admin", "head_timeout_ms", kAdmin, &AdminConfig::head_timeout_ms, 100, 600000,
              "Longest a request line and headers may take from their first byte; a slower\n"
              "client gets 408 and the connection ends. Also the grace before min_body_rate."),
      integer("admin", "min_body_rate", kAdmin, &AdminConfig::min_body_rate, 1, 1073741824,
              "Bytes per second a request body must average (after head_timeout_ms of grace);\n"
              "a slower client gets 408 and the connection ends."),
      integer("admin", "max_pending_commands_per_device", kAdmin,
              &AdminConfig::max_pending_commands_per_device, 1, 100000,
              "Commands awaiting one device's reply; more get 429."),
      integer("admin", "max_pending_commands", kAdmin, &AdminConfig::max_pending_commands, 1,
              10000000, "Commands awaiting a reply over all devices; more get 429."),
      text("admin", "tls_cert_file", kAdmin, &AdminConfig::tls_cert_file,
           "Certificate chain (PEM, leaf first) of the admin API.\n"
           "With tls_key_file set too, the admin port speaks HTTPS only (TLS 1.2 or 1.3, no\n"
           "client certificates): plain HTTP to it is closed. Both or neither. Needs a restart."),
      text("admin", "tls_key_file", kAdmin, &AdminConfig::tls_key_file,
           "Private key (PEM) of admin.tls_cert_file."),

      text("tls", "listen", kTls, &TlsConfig::listen,
           "TLS device listener, \"host:port\"; empty = no TLS listener.\n"
           "Same syntax as server.device_listen; the plain listeners keep running beside it.\n"
           "Needs cert_file and key_file. Changing it needs a restart."),
      text("tls", "cert_file", kTls, &TlsConfig::cert_file,
           "kited's certificate chain, PEM, leaf first.\n"
           "ECDSA (P-256, P-384) or RSA (2048+ bits). Reloaded on SIGHUP."),
      text("tls", "key_file", kTls, &TlsConfig::key_file,
           "Private key of cert_file, PEM. Reloaded on SIGHUP."),
      text("tls", "ca_file", kTls, &TlsConfig::ca_file,
           "CA bundle (PEM) that device certificates must lead to.\n"
           "Required when client_cert is not \"none\". Reloaded on SIGHUP."),
      text("tls", "crl_file", kTls, &TlsConfig::crl_file,
           "CRLs (PEM) checked for device certificates; empty = none.\n"
           "Every CA of ca_file that issues device certificates then needs a current CRL here.\n"
           "Reloaded on SIGHUP, which also closes live sessions whose certificate it revokes."),
      choice("tls", "min_version", kTls, &TlsConfig::min_version,
             {{"1.3", TlsMinVersion::v1_3}, {"1.2", TlsMinVersion::v1_2}},
             "Oldest TLS version accepted: \"1.3\" or \"1.2\"."),
      choice("tls", "client_cert", kTls, &TlsConfig::client_cert,
             {{"none", ClientCert::none},
              {"optional", ClientCert::optional},
              {"required", ClientCert::required}},
             "Client certificates (mutual TLS): \"none\", \"optional\" or \"required\".\n"
             "optional: asked for; a device may log in with it (auth method Tls) or with a key or\n"
             "token. required: a device without a valid certificate is refused in the TLS\n"
             "handshake, and whatever its auth method, it may only log in as the device its\n"
             "certificate names (a stolen device key alone is not enough)."),
      choice("tls", "device_id_from", kTls, &TlsConfig::device_id_from,
             {{"cn", DeviceIdFrom::cn},
              {"san-dns", DeviceIdFrom::san_dns},
              {"san-uri", DeviceIdFrom::san_uri}},
             "Where a certificate names its device: \"cn\", \"san-dns\" or \"san-uri\".\n"
             "cn: the subject's common name; san-dns / san-uri: the first DNS name / URI in\n"
             "subjectAltName. The name must equal the device id exactly."),
      boolean("tls", "tickets", kTls, &TlsConfig::tickets,
              "Issue TLS 1.3 session tickets, so reconnecting devices skip the certificate\n"
              "exchange. Ticket keys survive SIGHUP reloads, not restarts."),
      integer("tls", "ticket_max_age_s", kTls, &TlsConfig::ticket_max_age_s, 60, 604800,
              "How long a session ticket may resume after the full handshake (certificate\n"
              "checked) it came from. Resumptions bring no fresh ticket, so a ticket copied\n"
              "from a device stops working this long after that handshake."),

      integer("session", "max_frame", kSession, &Se::max_frame, 8192, 16777216,
              "Largest frame either side may send, after decompression."),
      integer("session", "receive_window", kSession, &Se::receive_window, 1, 65535,
              "Messages a device may send before it needs more credit."),
      integer("session", "keepalive_ms", kSession, &Se::keepalive_ms, 1000, 3600000,
              "Largest keep-alive interval a device may ask for."),
      integer("session", "min_keepalive_ms", kSession, &Se::min_keepalive_ms, 100, 3600000,
              "Smallest keep-alive interval a device may ask for.\n"
              "At most keepalive_ms."),
      integer("session", "keepalive_factor_percent", kSession, &Se::keepalive_factor_percent, 110,
              1000,
              "Silence allowed, in % of the keep-alive, before closing.\n"
              "150 closes a connection silent for 1.5 keep-alive intervals."),
      integer("session", "write_high_water_bytes", kSession, &Se::write_high_water_bytes, 1024,
              1073741824,
              "Socket write queue size at which feeding a connection stops.\n"
              "Its backlog then stays in the store, not in memory."),
      integer("session", "uplink_rate_per_s", kSession, &Se::uplink_rate_per_s, 1, 1000000,
              "Frames per second a device may send (each frame costs a token, acks and\n"
              "credits 1/16, plus one per 16 KiB of body after decompression).\n"
              "Above the rate the server stops reading that socket."),
      integer("session", "uplink_burst", kSession, &Se::uplink_burst, 1, 10000000,
              "Tokens a device may spend at once above that rate.\n"
              "The token bucket size."),
      choice("session", "device_groups", kSession, &Se::device_groups,
             {{"auto", DeviceGroups::automatic},
              {"allow", DeviceGroups::allow},
              {"deny", DeviceGroups::deny},
              {"prefix", DeviceGroups::prefix}},
             "Which groups devices may join and leave themselves (Subscribe/Unsubscribe):\n"
             "\"allow\" any, \"deny\" none, \"prefix\" those starting with device_group_pattern;\n"
             "\"auto\": allow in development mode, deny in production (docs/security.md).\n"
             "Either way the admin API manages membership; a device is in at most 256 groups."),
      text("session", "device_group_pattern", kSession, &Se::device_group_pattern,
           "device_groups = \"prefix\": the start of the group names a device may manage.\n"
           "{device_id} is the device id, {device_prefix} the device id up to its first '-':\n"
           "\"tenant-{device_prefix}-\" lets acme-0042 manage tenant-acme-* only."),

      choice("store", "engine", kStore, &St::engine,
             {{"rocksdb", StoreEngine::rocksdb}, {"memory", StoreEngine::memory}},
             "Store engine: \"rocksdb\" or \"memory\".\n"
             "rocksdb is durable, in server.data_dir; memory loses everything on exit (tests)."),
      choice("store", "durability", kStore, &St::durability,
             {{"async", Durability::async}, {"sync", Durability::sync}},
             "When a send is confirmed: \"async\" or \"sync\".\n"
             "sync: after the write is fsync'ed, so it survives a power loss.\n"
             "async: after the write reaches the OS, so it survives a crash or kill -9 of kited\n"
             "but not a power loss. Ignored by the memory engine."),
      integer("store", "per_device_messages", kStore, &St::per_device_messages, 1, 100000000,
              "Messages queued for one device."),
      integer("store", "per_device_bytes", kStore, &St::per_device_bytes, 8192, 1099511627776,
              "Payload bytes queued for one device.\n"
              "At least session.max_frame."),
      integer("store", "global_messages", kStore, &St::global_messages, 1, 1000000000000,
              "Messages queued for all devices.\n"
              "At least per_device_messages."),
      integer("store", "global_bytes", kStore, &St::global_bytes, 8192, 1125899906842624,
              "Payload bytes queued for all devices.\n"
              "At least per_device_bytes."),
      choice("store", "full_policy", kStore, &St::full_policy,
             {{"reject", FullPolicy::reject}, {"drop-oldest", FullPolicy::drop_oldest}},
             "What a send to a full queue does: \"reject\" or \"drop-oldest\".\n"
             "reject: the new message is refused and the sender gets an error. drop-oldest: the\n"
             "oldest queued message is dropped. Either way it is counted in the metrics."),
      integer("store", "default_ttl_ms", kStore, &St::default_ttl_ms, 0, 31536000000,
              "Expiry of messages sent without a TTL; 0 = never.\n"
              "At most 1 year."),
      integer("store", "idempotency_window_ms", kStore, &St::idempotency_window_ms, 0, 2592000000,
              "How long a sender's message id is remembered.\n"
              "A send retried with the same id within it is not queued twice. 0 = no\n"
              "deduplication. At most 30 days."),
      integer("store", "idempotency_records", kStore, &St::idempotency_records, 1, 1000000000000,
              "Idempotency records kept at once, all devices (each lives for the window).\n"
              "A send with a new idempotency key beyond it is refused (503, retry later);\n"
              "sends without a key are not affected. Bounds their disk use (docs/limits.md)."),

      integer("events", "retention_events", kEvents, &EventsConfig::retention_events, 0, 100000000,
              "Device events kept in memory for GET /v1/events readers to resume from.\n"
              "The oldest go first past this, retention_bytes or retention_ms; a reader that\n"
              "asks for dropped events is told so (a gap event). 0 = no event stream."),
      integer("events", "retention_bytes", kEvents, &EventsConfig::retention_bytes, 1048576,
              68719476736, "Memory the retained events may hold (payloads of uplink included)."),
      integer("events", "retention_ms", kEvents, &EventsConfig::retention_ms, 1000, 604800000,
              "Age after which a retained event is dropped. At most 7 days."),
      list("events", "types", kEvents, &EventsConfig::types,
           "Event types recorded: \"uplink\", \"connect\", \"disconnect\", \"receipt\".\n"
           "Receipts cost one event per delivered message; leave them out at very high rates\n"
           "if no backend reads them. In the environment: comma-separated."),

      boolean("record", "enabled", kRecord, &RecordConfig::enabled,
              "Record the frames of device connections from the start, both directions, after\n"
              "TLS (docs/recording.md). PUT /v1/recording switches it at run time; SIGHUP\n"
              "applies a changed [record] section. Recordings hold payloads and handshakes\n"
              "(tokens included): protect the directory like the data directory."),
      text("record", "directory", kRecord, &RecordConfig::directory,
           "Where the recordings go, one file series per worker:\n"
           "kite-<UTC yyyymmddThhmmss>-w<worker>-<n>.pcap. A relative path is under\n"
           "server.data_dir, like the store; created with the first file."),
      integer("record", "max_file_bytes", kRecord, &RecordConfig::max_file_bytes, 1048576,
              4294967296,
              "A file is closed, and the next one started, before an event would take it past\n"
              "this (a single larger frame still gets a file of its own)."),
      integer("record", "max_files", kRecord, &RecordConfig::max_files, 1, 10000,
              "Files kept per worker, earlier runs' included; the oldest beyond it are deleted.\n"
              "Disk use is at most about workers x max_files x max_file_bytes."),
      list("record", "devices", kRecord, &RecordConfig::devices,
           "Devices whose connections are recorded; empty = every connection (services too).\n"
           "A chosen device's connection is recorded from its hello on. In the environment:\n"
           "comma-separated."),

      boolean("compression", "enabled", kCompression, &CompressionConfig::enabled,
              "Compress frame bodies kited sends (zstd) when that makes them smaller.\n"
              "Devices may compress theirs either way; kited always reads them."),
      integer("compression", "level", kCompression, &CompressionConfig::level, 1, 19,
              "zstd level: 1 is fastest; higher levels cost CPU for a few % of size."),
      integer("compression", "threshold_bytes", kCompression, &CompressionConfig::threshold_bytes,
              0, 16777216, "Bodies smaller than this are sent as they are."),
      text("compression", "dictionary_file", kCompression, &CompressionConfig::dictionary_file,
           "A zstd dictionary from `kite dict train`; empty = none. kited offers its id in the\n"
           "handshake and compresses with it for the devices that hold it (SDK:\n"
           "ClientOptions::dictionary_files); small messages then compress too. Read at start:\n"
           "changing it needs a restart. Ship a new dictionary to devices before kited."),
      integer("compression", "dictionary_threshold_bytes", kCompression,
              &CompressionConfig::dictionary_threshold_bytes, 0, 16777216,
              "threshold_bytes for devices that use the dictionary: with one, even bodies of a\n"
              "few dozen bytes get smaller."),

      choice("log", "level", kLog, &LogConfig::level,
             {{"debug", log::Level::debug},
              {"info", log::Level::info},
              {"warn", log::Level::warn},
              {"error", log::Level::error}},
             "Least severe level written: \"debug\", \"info\", \"warn\" or \"error\"."),
      choice("log", "format", kLog, &LogConfig::format,
             {{"text", log::Format::text}, {"json", log::Format::json}},
             "Log format: \"text\" (key=value) or \"json\", on stderr.\n"
             "One line per event either way."),
  };
}

// Optimal string alignment distance: edits, with a swap of two neighbours counting as one.
std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
  for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

}  // namespace

const std::vector<FieldSpec>& field_table() {
  static const std::vector<FieldSpec> table = make_table();
  return table;
}

const std::vector<std::string_view>& config_sections() {
  static const std::vector<std::string_view> sections{"server", "device",      "auth",  "admin",
                                                      "tls",    "session",     "store", "events",
                                                      "record", "compression", "log"};
  return sections;
}

std::string_view section_doc(std::string_view section) {
  if (section == "server") return "Listeners, data directory, worker threads, security mode.";
  if (section == "device") {
    return "Who may connect to the device port: address lists and a per-source cap, checked\n"
           "when a connection is accepted, before any byte of it is read.";
  }
  if (section == "auth") {
    return "How devices and services prove who they are. Device keys come from the master key\n"
           "(derived per device) and/or device_keys_file; token_key adds signed tokens. Key,\n"
           "revocation and credential files are re-read on SIGHUP.";
  }
  if (section == "admin") {
    return "The HTTP admin API: send, presence, kick, events, metrics. Its bearer tokens, who\n"
           "may connect to it, and its request limits.";
  }
  if (section == "tls") {
    return "TLS for devices: a listener of its own beside the plain one, optional mutual TLS\n"
           "(the certificate as the credential) and CRLs. Files are re-read on SIGHUP.";
  }
  if (section == "session") return "Limits of each device connection, offered in the handshake.";
  if (section == "store") return "Durable per-device queues for offline and slow devices.";
  if (section == "events") {
    return "The device event stream of GET /v1/events: uplink messages, connects, disconnects\n"
           "and delivery receipts, kept in memory (not across restarts) for readers to resume.";
  }
  if (section == "record") {
    return "Recordings of device connections: their frames both ways, after TLS, in pcap files\n"
           "that kite decode, kite replay and Wireshark read (docs/recording.md).";
  }
  if (section == "compression") {
    return "zstd compression of frame bodies, and the trained dictionary kited offers devices.";
  }
  if (section == "log") return "Structured logs on stderr. Secrets and payloads are never logged.";
  return {};
}

const FieldSpec* find_field(std::string_view section, std::string_view key) {
  for (const auto& field : field_table()) {
    if (field.section == section && field.key == key) return &field;
  }
  return nullptr;
}

std::string closest_match(std::string_view word, const std::vector<std::string>& candidates) {
  std::size_t limit = std::clamp<std::size_t>(word.size() / 3, 1, 3);
  std::string best;
  std::size_t best_distance = limit + 1;
  for (const auto& candidate : candidates) {
    std::size_t distance = edit_distance(word, candidate);
    if (distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

}  // namespace kite::server::config
