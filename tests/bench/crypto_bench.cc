// The handshake's cryptography (protocol/src/hmac.cc, handshake_crypto.cc): one HMAC-SHA256 at
// the sizes the protocol uses, the random bytes of a nonce, and all the cryptography of one Hmac
// handshake, both ends, as kited and the device SDK run it.
//
// Per handshake, kited: the device key (Authenticator::key_for: HMAC over the master key), a
// random server nonce, the expected client proof and its constant-time check, the server proof,
// the resume token (HMAC over the resume secret); the device: a random client nonce, its proof,
// the expected server proof and its check. Six HMACs and two 32-byte random draws in all;
// BM_HandshakeCryptoKited is kited's share alone.
#include <array>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hmac.h"

namespace kite::bench {
namespace {

std::array<std::uint8_t, 32> key32() {
  std::array<std::uint8_t, 32> key{};
  std::iota(key.begin(), key.end(), 1);
  return key;
}

// One HMAC-SHA256 with a 32-byte key (the size of every key the protocol uses) over `data` bytes:
// 32 is a device id, about 100 a proof's transcript.
void BM_HmacSha256(benchmark::State& state) {
  const auto key = key32();
  std::vector<std::uint8_t> data(static_cast<std::size_t>(state.range(0)), 0x5a);
  for (auto _ : state) {
    auto mac = protocol::hmac_sha256(key, data);
    benchmark::DoNotOptimize(mac);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * state.range(0));
}

// A nonce's worth of random bytes.
void BM_RandomBytes(benchmark::State& state) {
  std::vector<std::uint8_t> out(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    bool ok = protocol::random_bytes(out);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}

// Every cryptographic step of one Hmac handshake, both ends (see the top of this file).
void BM_HandshakeCrypto(benchmark::State& state) {
  const auto master = key32();
  std::array<std::uint8_t, 32> resume_secret = key32();
  resume_secret[0] ^= 0xff;
  const std::string device_id = "thermostat-000042";
  for (auto _ : state) {
    // Device: its key (configured), a fresh nonce, the hello.
    protocol::Nonce client_nonce{};
    protocol::random_bytes(client_nonce);
    // kited: key_for(id), a fresh nonce, the challenge.
    protocol::DeviceKey key = protocol::derive_device_key(master, device_id);
    protocol::Nonce server_nonce{};
    protocol::random_bytes(server_nonce);
    // Device: the auth.
    protocol::Proof proof = protocol::client_proof(key, device_id, client_nonce, server_nonce);
    // kited: checks it, answers with its proof and a resume token.
    bool client_ok = protocol::proof_matches(
        protocol::client_proof(key, device_id, client_nonce, server_nonce), proof);
    protocol::Proof welcome = protocol::server_proof(key, device_id, client_nonce, server_nonce);
    protocol::Mac resume = protocol::hmac_sha256(resume_secret, device_id);
    // Device: checks the server's proof.
    bool server_ok = protocol::proof_matches(
        protocol::server_proof(key, device_id, client_nonce, server_nonce), welcome);
    if (!client_ok || !server_ok) state.SkipWithError("a proof did not match");
    benchmark::DoNotOptimize(resume);
  }
  state.SetItemsProcessed(state.iterations());
}

// kited's share of the above: four HMACs and one nonce (the device's proof arrives made; it does
// not match the fresh nonce, which costs the comparison nothing).
void BM_HandshakeCryptoKited(benchmark::State& state) {
  const auto master = key32();
  std::array<std::uint8_t, 32> resume_secret = key32();
  resume_secret[0] ^= 0xff;
  const std::string device_id = "thermostat-000042";
  protocol::Nonce client_nonce{};
  client_nonce.fill(7);
  const protocol::Proof received{};
  for (auto _ : state) {
    protocol::DeviceKey key = protocol::derive_device_key(master, device_id);
    protocol::Nonce server_nonce{};
    protocol::random_bytes(server_nonce);
    bool ok = protocol::proof_matches(
        protocol::client_proof(key, device_id, client_nonce, server_nonce), received);
    protocol::Proof welcome = protocol::server_proof(key, device_id, client_nonce, server_nonce);
    protocol::Mac resume = protocol::hmac_sha256(resume_secret, device_id);
    benchmark::DoNotOptimize(ok);
    benchmark::DoNotOptimize(welcome);
    benchmark::DoNotOptimize(resume);
  }
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

BENCHMARK(BM_HmacSha256)->ArgName("data")->Arg(32)->Arg(100)->Arg(1024);
BENCHMARK(BM_RandomBytes)->ArgName("bytes")->Arg(32);
BENCHMARK(BM_HandshakeCrypto);
BENCHMARK(BM_HandshakeCryptoKited);

}  // namespace kite::bench
