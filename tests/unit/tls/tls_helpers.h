// What the TLS tests share: settings for the standard PKI's server and devices, and ChannelPair,
// a client and a server channel connected in memory.
#pragma once

#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kite/tls/channel.h"
#include "kite/tls/context.h"
#include "test_pki.h"

namespace kite::test {

using Bytes = std::vector<std::uint8_t>;

inline Bytes bytes(std::string_view text) {
  return Bytes(text.begin(), text.end());
}
inline std::string text(const Bytes& data) {
  return std::string(data.begin(), data.end());
}

inline tls::TlsSettings server_settings(const IssuedCert& cert) {
  tls::TlsSettings settings;
  settings.role = tls::Role::Server;
  settings.certificate_chain_file = cert.certificate;
  settings.private_key_file = cert.key;
  return settings;
}

// A server that requires client certificates from the standard PKI's CA.
inline tls::TlsSettings mtls_server_settings() {
  tls::TlsSettings settings = server_settings(StandardPki::get().server_p256);
  settings.ca_file = StandardPki::get().ca.ca_file();
  settings.client_certificates = tls::ClientCertificates::Required;
  return settings;
}

inline tls::TlsSettings client_settings(const std::string& server_name = "localhost") {
  tls::TlsSettings settings;
  settings.role = tls::Role::Client;
  settings.ca_file = StandardPki::get().ca.ca_file();
  settings.server_name = server_name;
  return settings;
}

inline tls::TlsSettings device_settings(const IssuedCert& cert) {
  tls::TlsSettings settings = client_settings();
  settings.certificate_chain_file = cert.certificate;
  settings.private_key_file = cert.key;
  return settings;
}

inline std::shared_ptr<const tls::TlsContext> make_context(
    const tls::TlsSettings& settings, const tls::TlsContext* previous = nullptr) {
  auto created = tls::TlsContext::create(settings, previous);
  INFO(created.error);
  REQUIRE(created.context);
  return created.context;
}

// A client and a server channel wired back to back. pump() carries each side's output to the
// other, in chunks of at most `max_chunk` bytes, and reads all plaintext, until both are quiet.
struct ChannelPair {
  tls::TlsChannel client;
  tls::TlsChannel server;
  Bytes client_received;           // plaintext the client read
  Bytes server_received;           // plaintext the server read
  std::vector<Bytes> client_sent;  // every ciphertext chunk fed to the server, for replays

  ChannelPair(std::shared_ptr<const tls::TlsContext> client_context,
              std::shared_ptr<const tls::TlsContext> server_context)
      : client(std::move(client_context)), server(std::move(server_context)) {}

  void pump(std::size_t max_chunk = std::numeric_limits<std::size_t>::max()) {
    for (int round = 0; round < 100; ++round) {
      bool moved = carry(client, server, server_received, max_chunk, &client_sent);
      moved |= carry(server, client, client_received, max_chunk, nullptr);
      if (!moved) return;
    }
    FAIL("pump: the channels never went quiet");
  }

  bool both_open() const {
    return client.state() == tls::TlsChannel::State::Open &&
           server.state() == tls::TlsChannel::State::Open;
  }

  static bool carry(tls::TlsChannel& from, tls::TlsChannel& to, Bytes& received,
                    std::size_t max_chunk, std::vector<Bytes>* record) {
    if (!from.has_output()) return false;
    Bytes wire;
    from.take_all_output(wire);
    for (std::size_t at = 0; at < wire.size(); at += max_chunk) {
      std::size_t size = std::min(max_chunk, wire.size() - at);
      Bytes chunk(wire.begin() + static_cast<std::ptrdiff_t>(at),
                  wire.begin() + static_cast<std::ptrdiff_t>(at + size));
      if (record) record->push_back(chunk);
      to.feed(chunk);
      to.read_all(received);
    }
    return true;
  }
};

// A pair pumped to the end of its handshake.
inline ChannelPair connect(std::shared_ptr<const tls::TlsContext> client_context,
                           std::shared_ptr<const tls::TlsContext> server_context) {
  ChannelPair pair(std::move(client_context), std::move(server_context));
  pair.pump();
  return pair;
}

}  // namespace kite::test
