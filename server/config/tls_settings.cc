#include "config/tls_settings.h"

#include "kite/tls/context.h"

namespace kite::server::config {

kite::tls::TlsSettings device_tls_settings(const TlsConfig& tls) {
  using namespace kite::tls;
  TlsSettings settings;
  settings.role = Role::Server;
  settings.certificate_chain_file = tls.cert_file;
  settings.private_key_file = tls.key_file;
  settings.ca_file = tls.ca_file;
  settings.crl_file = tls.crl_file;
  settings.min_version =
      tls.min_version == TlsMinVersion::v1_2 ? TlsVersion::V1_2 : TlsVersion::V1_3;
  settings.client_certificates =
      tls.client_cert == ClientCert::required   ? ClientCertificates::Required
      : tls.client_cert == ClientCert::optional ? ClientCertificates::Optional
                                                : ClientCertificates::None;
  settings.identity_source = tls.device_id_from == DeviceIdFrom::san_dns ? IdentitySource::SanDns
                             : tls.device_id_from == DeviceIdFrom::san_uri
                                 ? IdentitySource::SanUri
                                 : IdentitySource::SubjectCommonName;
  settings.session_tickets = tls.tickets;
  settings.ticket_max_age_s = tls.ticket_max_age_s;
  return settings;
}

kite::tls::TlsSettings admin_tls_settings(const AdminConfig& admin) {
  kite::tls::TlsSettings settings;
  settings.role = kite::tls::Role::Server;
  settings.certificate_chain_file = admin.tls_cert_file;
  settings.private_key_file = admin.tls_key_file;
  // HTTP clients (curl, monitoring agents) are older than devices: TLS 1.2 is still common.
  settings.min_version = kite::tls::TlsVersion::V1_2;
  settings.session_tickets = false;  // short-lived requests from a few backends
  return settings;
}

std::string tls_load_problem(const kite::tls::TlsSettings& settings) {
  return kite::tls::TlsContext::create(settings).error;
}

}  // namespace kite::server::config
