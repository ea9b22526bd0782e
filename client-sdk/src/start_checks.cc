#include "start_checks.h"

#include <algorithm>

#include "kite/protocol/device_id.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/limits.h"

namespace kite::sdk {
namespace {

std::string check_connection(const ClientOptions& o) {
  if (o.device_id.empty()) return "device_id is empty";
  if (o.device_id.size() > protocol::limits::kDeviceId)
    return "device_id is longer than " + std::to_string(protocol::limits::kDeviceId) + " bytes";
  if (!protocol::valid_device_id(o.device_id))
    return "device_id \"" + o.device_id + "\" is refused: " + std::string(protocol::kDeviceIdRule);
  if (o.host.empty()) return "host is empty";
  if (o.port == 0) return "port is 0";
  if (o.max_queued == 0) return "max_queued is 0";
  return {};
}

// TLS settings left on a disabled TLS are refused: whoever named a CA or a certificate meant
// the connection to be encrypted, and would otherwise talk in plaintext without knowing it.
std::string check_tls_off(const TlsOptions& tls) {
  if (tls.enabled) return {};
  for (auto [name, value] : {std::pair{"ca_file", &tls.ca_file},
                             {"server_name", &tls.server_name},
                             {"cert_file", &tls.cert_file},
                             {"key_file", &tls.key_file}})
    if (!value->empty()) return std::string("tls.") + name + " is set but tls.enabled is false";
  return {};
}

// The first of key, token and the TLS certificate is the credential.
std::string pick_credential(const ClientOptions& o, protocol::ClientCredentials& credentials) {
  if (!o.key.empty()) {
    auto key = protocol::hex_decode(o.key);
    if (!key || key->size() != protocol::kKeySize) return "key: expected 64 hex digits";
    std::copy(key->begin(), key->end(), credentials.key.begin());
    credentials.method = protocol::AuthMethod::Hmac;
  } else if (!o.token.empty()) {
    credentials.token = o.token;
    credentials.method = protocol::AuthMethod::Token;
  } else if (o.tls.enabled && !o.tls.cert_file.empty()) {
    credentials.method = protocol::AuthMethod::Tls;  // kited reads the id in the certificate
  } else {
    return "no credentials: set key, token, or tls.cert_file (with tls.enabled)";
  }
  return {};
}

}  // namespace

std::string check_options(const ClientOptions& options, protocol::ClientCredentials& credentials) {
  for (auto problem : {check_connection(options), check_tls_off(options.tls)})
    if (!problem.empty()) return problem;
  credentials.device_id = options.device_id;
  credentials.agent = options.agent.substr(0, protocol::limits::kAgent);
  return pick_credential(options, credentials);
}

}  // namespace kite::sdk
