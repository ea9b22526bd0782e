// The simulated connections of kite_session_scale (session_scale.cc, which says what is
// simulated and why): a worker's shared structures (Sim), one accepted connection minus its
// socket (SimConnection), and a real Hmac handshake between it and a client Session, in memory.
#pragma once

#include <arpa/inet.h>
#include <uv.h>

#include <array>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "core/connection.h"
#include "core/registry.h"
#include "core/timing_wheel.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/session.h"
#include "kite/protocol/session_context.h"

namespace kite::bench::scale {

using kite::server::Millis;
using kite::server::Registry;
using kite::server::Route;
using kite::server::TimingWheel;
using kite::server::WheelEntry;
namespace protocol = kite::protocol;

inline constexpr Millis kWheelTick = 10;          // server/core/worker.cc
inline constexpr std::size_t kWheelSlots = 4096;  // server/core/worker.cc
inline constexpr Millis kKeepalive = 30'000;      // SessionConfig default
inline constexpr Millis kTimeout = kKeepalive * 150 / 100;
// Sessions open at this time: session_scale.cc's wheel phases run from 0 to 60 s, before their
// 65 s expiry.
inline constexpr Millis kOpenedAt = 20'000;

inline std::uint64_t splitmix(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

// What a worker loop holds for all its connections.
struct Sim {
  protocol::SessionContext context{protocol::SessionConfig{}};
  TimingWheel wheel{kWheelTick, kWheelSlots, 0};
  Registry registry;
  std::vector<std::uint64_t> read_buffer_words = std::vector<std::uint64_t>(64 * 1024 / 8 + 1);
  std::array<std::uint8_t, 32> master_key{};
  std::array<std::uint8_t, 32> resume_secret{};
  std::uint64_t marked_dirty = 0;
  const protocol::DeviceKey* current_key = nullptr;  // the device being connected
  std::uint64_t nonce_counter = 0;

  // Worker::read_buffer(): the bytes land at the decoder's offset hint in an 8-aligned buffer.
  std::span<const std::uint8_t> place(std::span<const std::uint8_t> bytes, std::size_t hint) {
    auto* base = reinterpret_cast<std::uint8_t*>(read_buffer_words.data()) + hint;
    std::memcpy(base, bytes.data(), bytes.size());
    return {base, bytes.size()};
  }
};

// Connection's fields, in Connection's order, minus the uv_tcp_t.
class SimConnection final : public protocol::SessionHandler, public WheelEntry {
 public:
  SimConnection(Sim& sim, std::uint64_t id, Millis now)
      : sim_(sim), id_(id), session_(protocol::Role::Server, sim.context, *this, now) {}

  bool dirty = false;

  void on_hello(const protocol::HelloInfo& hello) override {
    // Authenticator::key_for + random server nonce, as Connection::on_hello (Hmac).
    hello_last_received_ = hello.last_received_seq;
    const protocol::DeviceKey& key = *sim_.current_key;  // key_for(id): a lookup in kited
    protocol::Nonce nonce{};
    protocol::random_bytes(nonce);
    session_.challenge(key, nonce);
  }
  void on_authenticated(std::string_view) override { welcome(); }
  void on_open(const protocol::OpenInfo&) override {
    counted_unauthenticated_ = false;
    backlog_ = true;  // pump() would read the (empty) store and clear it
    backlog_ = false;
  }
  void on_message(const protocol::IncomingMessage&) override {}
  void on_close(const protocol::CloseInfo&) override { closing_ = true; }

  void welcome() {
    const std::string& device = session_.device_id();
    protocol::WelcomeParams params;
    params.store_epoch = 1;
    Route route{.connection = id_,
                .since_ms = 1'700'000'000'000,
                .worker = 0,
                .tls = false,
                .address = ip_};
    sim_.registry.claim(device, route);
    registered_ = true;
    params.resumed = false;
    // Authenticator::resume_token: 16 bytes of an HMAC over the id and the epoch.
    auto mac = protocol::derive_device_key(sim_.resume_secret, device);
    params.resume_token.assign(mac.begin(), mac.begin() + 16);
    params.next_seq = 1;
    params.last_received_seq = 0;
    last_stored_sent_ = 0;
    session_.accept(params, kOpenedAt);
  }

  // Connection::after_session_call.
  void after_session_call() {
    if (session_.has_output()) {
      dirty = true;
      ++sim_.marked_dirty;
    }
    if (closing_) return;
    Millis due = session_.next_deadline();
    if (due == std::numeric_limits<Millis>::max())
      sim_.wheel.cancel(*this);
    else if (!scheduled() || deadline != due)
      sim_.wheel.schedule(*this, due);
  }

  // Connection::flush, minus the socket: the output moves to a fresh write request's vector.
  std::vector<std::uint8_t> flush() {
    dirty = false;
    std::vector<std::uint8_t> written;
    session_.take_output(written);
    return written;
  }

  Sim& sim_;  // Worker& worker_
  std::uint64_t id_;
  protocol::Session session_;
  kite::server::PeerIp ip_;
  std::uint64_t last_stored_sent_ = 0;
  std::uint64_t queued_ack_ = 0;
  std::size_t write_queue_bytes_ = 0;
  std::uint64_t hello_last_received_ = 0;
  bool hello_resume_valid_ = false;
  bool counted_unauthenticated_ = false;
  bool registered_ = false;
  bool service_ = false;
  bool backlog_ = false;
  bool closing_ = false;
  std::vector<std::string> token_groups_;
};

class ClientHandler final : public protocol::SessionHandler {
 public:
  void on_message(const protocol::IncomingMessage&) override {}
  void on_close(const protocol::CloseInfo&) override { closed = true; }
  bool closed = false;
};

inline std::string device_id(std::uint64_t i, std::size_t length) {
  char digits[24];
  std::snprintf(digits, sizeof digits, "%012" PRIx64, i);
  std::string id(digits);
  if (id.size() < length) id.insert(0, std::string(length - id.size(), 'd'));
  return id;
}

inline kite::server::PeerIp ip_of(std::uint64_t i) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(0x0a000000u | static_cast<std::uint32_t>(i & 0xffffff));
  return kite::server::PeerIp::from(reinterpret_cast<const sockaddr*>(&address));
}

// One device: a fresh client Session (on the clients' shared context) and a real handshake with
// the server connection. False if either end is not Open at the end.
inline bool handshake(Sim& sim, protocol::SessionContext& client_context, SimConnection& server,
                      const std::string& id) {
  ClientHandler handler;
  protocol::Session client(protocol::Role::Client, client_context, handler, kOpenedAt);
  protocol::ClientCredentials credentials;
  credentials.device_id = id;
  // The key is derived once and handed to both ends (kited looks it up in its key files); the
  // client's nonce is the device's business: a cheap non-cryptographic fill is enough here.
  credentials.key = protocol::derive_device_key(sim.master_key, id);
  sim.current_key = &credentials.key;
  for (std::size_t i = 0; i < credentials.nonce.size(); i += 8) {
    std::uint64_t r = splitmix(++sim.nonce_counter);
    std::memcpy(credentials.nonce.data() + i, &r, 8);
  }
  credentials.agent = "kite-sim/1";
  client.start(credentials, {}, kOpenedAt);

  std::vector<std::uint8_t> bytes;
  for (int round = 0; round < 4 && !(client.is_open() && server.session_.is_open()); ++round) {
    client.take_output(bytes);  // hello, then auth
    if (!bytes.empty()) {
      auto& decoder = server.session_.decoder();
      server.session_.receive(sim.place(bytes, decoder.read_offset_hint()), kOpenedAt);
      server.after_session_call();
    }
    if (server.session_.has_output()) {  // challenge, then welcome
      auto written = server.flush();
      client.receive(written, kOpenedAt);
    }
  }
  return client.is_open() && server.session_.is_open() && !handler.closed;
}

}  // namespace kite::bench::scale
