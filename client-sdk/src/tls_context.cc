#include "tls_context.h"

#include "kite/tls/settings.h"

namespace kite::sdk {

std::shared_ptr<const tls::TlsContext> make_tls_context(const ClientOptions& options,
                                                        const std::string& host,
                                                        std::string& error) {
  const TlsOptions& o = options.tls;
  auto min_version = tls::parse_tls_version(o.min_version);
  if (!min_version) {
    error = "tls.min_version: expected \"1.2\" or \"1.3\", not \"" + o.min_version + "\"";
    return nullptr;
  }
  if (o.cert_file.empty() != o.key_file.empty()) {
    error = "tls.cert_file and tls.key_file go together";
    return nullptr;
  }
  tls::TlsSettings settings;
  settings.role = tls::Role::Client;
  settings.certificate_chain_file = o.cert_file;
  settings.private_key_file = o.key_file;
  settings.ca_file = o.ca_file;
  settings.min_version = *min_version;
  settings.max_version = tls::TlsVersion::V1_3;
  // An IP address here makes kite::tls check the certificate's IP SANs (and send no SNI).
  settings.server_name = o.server_name.empty() ? host : o.server_name;
  settings.session_tickets = true;
  auto created = tls::TlsContext::create(settings);
  if (!created.context) error = "tls: " + created.error;
  return created.context;
}

}  // namespace kite::sdk
