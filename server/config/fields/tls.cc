// [tls]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection tls_section() {
  return {
      "tls",
      "TLS for devices: a listener of its own beside the plain one, optional mutual TLS\n"
      "(the certificate as the credential) and CRLs. Files are re-read on SIGHUP.",
      {
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
          text(
              "tls", "crl_file", kTls, &TlsConfig::crl_file,
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
                 "optional: asked for; a device may log in with it (auth method Tls) or with a key "
                 "or\n"
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
      }};
}

}  // namespace kite::server::config::fields
