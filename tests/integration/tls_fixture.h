// What the TLS tests (18.*, 19.*) share: a PKI made for the test, and a kited with its TLS
// listener on beside the plain one.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness.h"
#include "test_pki.h"

namespace kite::it {

// A CA, kited's certificate (P-256, for 127.0.0.1 and localhost), device certificates from the
// same CA (<prefix>-dev-1, <prefix>-dev-2, <prefix>-expired, <prefix>-revoked), one from another
// CA (<prefix>-foreign) and the CA's CRL listing the revoked one, in a temp dir removed at the end.
struct TlsPki {
  explicit TlsPki(const std::string& prefix)
      : server(ca.issue("server", {.common_name = "kited",
                                   .dns_names = {"localhost"},
                                   .ip_addresses = {"127.0.0.1"},
                                   .usage = test::Usage::Server})),
        device_1(ca.issue(prefix + "-dev-1", {.common_name = prefix + "-dev-1"})),
        device_2(ca.issue(prefix + "-dev-2", {.common_name = prefix + "-dev-2"})),
        expired(ca.issue(prefix + "-expired",
                         {.common_name = prefix + "-expired", .valid_to_days = -1})),
        revoked(ca.issue(prefix + "-revoked", {.common_name = prefix + "-revoked"})),
        foreign(other_ca.issue(prefix + "-foreign", {.common_name = prefix + "-foreign"})),
        crl(ca.write_crl("ca", {revoked.serial})) {}

  test::TempDir dir;
  test::TestCa ca{"Kite Test CA", dir.path()};
  test::TestCa other_ca{"Some Other CA", dir.path()};
  test::IssuedCert server, device_1, device_2, expired, revoked, foreign;
  std::string crl;
};

// kited's arguments for a TLS listener on `port` with `pki.server`; `client_cert` is kited's
// tls.client_cert ("none", "optional", "required"); with client certificates, pki.ca and its CRL
// check them and the device id is the subject CN.
inline std::vector<std::string> tls_args(const TlsPki& pki, std::uint16_t port,
                                         const std::string& client_cert,
                                         std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--set", "tls.listen=127.0.0.1:" + std::to_string(port),
                                   "--set", "tls.cert_file=" + pki.server.certificate,
                                   "--set", "tls.key_file=" + pki.server.key};
  if (client_cert != "none") {
    for (std::string setting : {"tls.client_cert=" + client_cert, "tls.ca_file=" + pki.ca.ca_file(),
                                "tls.crl_file=" + pki.crl, std::string("tls.device_id_from=cn")})
      args.insert(args.end(), {"--set", setting});
  }
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// A kited with its TLS listener on `tls_port`.
struct TlsHarness {
  explicit TlsHarness(const TlsPki& pki, const std::string& client_cert = "none",
                      std::vector<std::string> extra = {})
      : tls_port(free_port()), h(tls_args(pki, tls_port, client_cert, std::move(extra))) {}
  std::uint16_t tls_port;
  Harness h;
};

}  // namespace kite::it
