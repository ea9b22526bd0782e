// What one TLS endpoint needs to know: its role, its own certificate, whom it trusts, and the few
// choices kited and the device SDK expose. A plain struct, filled from kited.toml or by the SDK;
// TlsContext::create() checks it, loads the files and reports the first problem.
//
// Rules it keeps:
//  - no insecure mode: a client always verifies the server's chain, a server that asks for client
//    certificates always verifies them;
//  - files are PEM; keys may be ECDSA (P-256, P-384) or RSA (2048 bits or more);
//  - fields marked "server" or "client" are ignored in the other role.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kite::tls {

enum class Role { Server, Client };

enum class TlsVersion { V1_2, V1_3 };

// "1.2" -> V1_2, "1.3" -> V1_3; nullopt for anything else (as kited.toml spells it).
std::optional<TlsVersion> parse_tls_version(std::string_view text);
// "1.2", "1.3".
std::string_view tls_version_name(TlsVersion version);

// Whether the server asks connecting devices for a certificate (mutual TLS).
enum class ClientCertificates {
  None,      // no request: devices authenticate inside the Kite handshake only
  Optional,  // requested; a device without one is let in, one with a bad one is refused
  Required,  // a device without a valid certificate is refused during the TLS handshake
};

// Where the server reads a device's id in its certificate (TlsChannel::peer_identity()).
enum class IdentitySource {
  SubjectCommonName,  // the subject's CN (exactly one CN)
  SanDns,             // the first DNS name in subjectAltName
  SanUri,             // the first URI in subjectAltName that starts with identity_uri_prefix
};

// "subject CN", "SAN DNS", "SAN URI" (for messages).
std::string_view identity_source_name(IdentitySource source);

struct TlsSettings {
  Role role = Role::Server;

  // Own certificate chain (leaf first, then intermediates) and its private key, PEM. Required on
  // the server; on the client only for mutual TLS (both or neither).
  std::string certificate_chain_file;
  std::string private_key_file;

  // CA certificates (PEM bundle) the peer's chain must lead to. Server: verifies client
  // certificates (required unless client_certificates is None). Client: verifies the server;
  // empty means the system's default trust store.
  std::string ca_file;

  // Optional CRLs (PEM, one or more) checked for the peer's leaf certificate. When set, every CA
  // that issues peer certificates must have a current CRL in this file: a leaf whose issuer has
  // no CRL, or whose CRL is past its next update, is refused.
  std::string crl_file;

  TlsVersion min_version = TlsVersion::V1_3;
  TlsVersion max_version = TlsVersion::V1_3;  // lower it only to test old peers

  // Server: mutual TLS, and where the device id comes from.
  ClientCertificates client_certificates = ClientCertificates::None;
  IdentitySource identity_source = IdentitySource::SubjectCommonName;
  // SanUri only: the id is what follows this prefix ("urn:kite:device:"); URIs without it do
  // not count. Empty: the whole first URI is the id.
  std::string identity_uri_prefix;

  // Resumption. Server: issue TLS 1.3 session tickets, sealed with keys shared by every channel of
  // the context (any worker thread can resume any ticket). Client: keep the newest ticket and
  // offer it on the next channel of the same context.
  bool session_tickets = true;
  // Server: NewSessionTicket messages per handshake. One suffices for Kite's SDK, which keeps
  // only the newest; each costs ~9 us of server CPU and, with mTLS, ~1 KiB on the wire (the
  // ticket seals the client certificate).
  std::size_t tickets_per_handshake = 1;
  // Server: how long a ticket may resume after the full handshake (with a certificate check) it
  // came from. Resumed connections get no fresh ticket, so a copied ticket stops working this
  // long after the handshake that made it, however often it is used (resumption.cc).
  std::int64_t ticket_max_age_s = 7200;
  // Server: the wall clock (Unix seconds) ticket ages are measured with; null: the system's.
  // Tests pass a fake one.
  std::int64_t (*clock)() = nullptr;

  // Client: the server's DNS name (sent as SNI and checked against the certificate) or IP
  // address (checked against its IP SANs; no SNI). Empty: the chain alone is verified, which
  // trusts any certificate from ca_file; use it only with a private CA.
  std::string server_name;

  // Free OpenSSL's two 17 KiB record buffers while a connection is idle. Costs an allocation
  // per busy period; saves ~34 KiB per idle connection (kited holds many).
  bool release_idle_buffers = true;
};

}  // namespace kite::tls
