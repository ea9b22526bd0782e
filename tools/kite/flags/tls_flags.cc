#include "flags/tls_flags.h"

namespace kite::cli {

void add_tls_flags(CLI::App& command, TlsOptions& tls, bool client_certificate) {
  auto* on = command.add_flag(
      "--tls", tls.enabled,
      "connect with TLS (to kited's tls.listen port); kited's certificate is always verified");
  command
      .add_option("--ca", tls.ca_file,
                  "CA certificates (PEM) kited's certificate must lead to; default: the system's")
      ->check(CLI::ExistingFile)
      ->needs(on);
  command
      .add_option("--server-name", tls.server_name,
                  "the name (or IP address) kited's certificate must carry; default: --host")
      ->needs(on)
      ->type_name("NAME");
  command.add_option("--tls-min", tls.min_version, "the oldest TLS version to accept")
      ->check(CLI::IsMember({"1.2", "1.3"}))
      ->capture_default_str()
      ->needs(on);
  if (!client_certificate) return;
  auto* cert = command
                   .add_option("--cert", tls.cert_file,
                               "this device's certificate (PEM) for mutual TLS; without --key, "
                               "--master-key or --token it is the credential, and --id must be "
                               "the id kited reads in it")
                   ->check(CLI::ExistingFile)
                   ->needs(on);
  auto* key = command.add_option("--cert-key", tls.key_file, "the private key (PEM) of --cert")
                  ->check(CLI::ExistingFile)
                  ->needs(on);
  cert->needs(key);
  key->needs(cert);
}

}  // namespace kite::cli
