// Writes the seed corpora of the fuzz targets: make_seeds OUT_DIR TARGET...
// Each target's seeds go to OUT_DIR/TARGET/ (created if needed), one file per seed.
//
// Seeds are real traffic: conversations between a client and a server Session, driven by the
// same handlers as the session targets (fuzz_handlers.h) and the same fixed keys, are recorded
// per direction. Replayed into a target with the same option byte, they pass the handshake
// (Hmac proofs included) and reach publish, ack, credit, command, subscribe, ping and the end of
// a session. The frame targets get the frames of those streams plus one of every message type.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "fuzz_handlers.h"
#include "kite/protocol/base64url.h"
#include "kite/protocol/token.h"

namespace kite::fuzz {
namespace {

using Bytes = std::vector<std::uint8_t>;

// --- recorded conversations ----------------------------------------------------------------

struct Script {
  std::string name;
  std::uint8_t server_options = 0;
  std::uint8_t client_options = 0;
  bool extra_traffic = true;  // commands, ad-hoc publishes, pings
  enum class End { ClientClose, ServerGoaway, Nothing } end = End::ClientClose;
};

struct Recording {
  Bytes to_server;  // what the client sent
  Bytes to_client;  // what the server sent
};

class Conversation {
 public:
  explicit Conversation(const Script& script)
      : script_(script),
        server_handler_(script.server_options),
        client_handler_(script.client_options),
        server_(protocol::Role::Server, session_config((script.server_options & 8) != 0),
                server_handler_, kStartTime),
        client_(protocol::Role::Client, session_config(false), client_handler_, kStartTime) {
    server_handler_.attach(&server_);
    client_handler_.attach(&client_);
  }

  Recording run() {
    client_.start(credentials((script_.client_options & 2) != 0),
                  resume_request((script_.client_options & 4) != 0), now_);
    pump();
    if (script_.extra_traffic && client_.is_open() && server_.is_open()) extra();
    advance(25);  // delayed acks
    switch (script_.end) {
      case Script::End::ClientClose:
        client_.close(protocol::Reason::NormalClose);
        break;
      case Script::End::ServerGoaway:
        server_.goaway(protocol::Reason::ServerShutdown, 2500, "draining");
        break;
      case Script::End::Nothing:
        break;
    }
    pump();
    if (std::getenv("KITE_SEEDS_VERBOSE"))
      std::fprintf(stderr,
                   "%s: %zu B to server, %zu B to client; delivered %llu up, %llu down; "
                   "closed %s / %s\n",
                   script_.name.c_str(), recording_.to_server.size(), recording_.to_client.size(),
                   static_cast<unsigned long long>(server_handler_.delivered),
                   static_cast<unsigned long long>(client_handler_.delivered),
                   protocol::reason_name(server_handler_.close_reason).data(),
                   protocol::reason_name(client_handler_.close_reason).data());
    return std::move(recording_);
  }

 private:
  // Only time moves here: every message comes from the handlers, so that a replay into a target
  // (whose handler does the same) stays consistent, acks and credit included.
  void extra() {
    advance(25);      // delayed acks
    advance(11'000);  // the client pings, the server pongs
    advance(25);
  }

  void advance(protocol::Millis ms) {
    now_ += ms;
    client_.tick(now_);
    server_.tick(now_);
    pump();
  }

  // Moves bytes both ways until both sides are quiet; deferred acks go out after each delivery.
  void pump() {
    server_handler_.now = client_handler_.now = now_;
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      Bytes bytes;
      client_.take_output(bytes);
      if (!bytes.empty()) {
        recording_.to_server.insert(recording_.to_server.end(), bytes.begin(), bytes.end());
        server_.receive(bytes, now_);
        if ((script_.server_options & 1) == 0) server_.acknowledge(server_handler_.delivered, now_);
        moved = true;
      }
      server_.take_output(bytes);
      if (!bytes.empty()) {
        recording_.to_client.insert(recording_.to_client.end(), bytes.begin(), bytes.end());
        client_.receive(bytes, now_);
        if ((script_.client_options & 1) == 0) client_.acknowledge(client_handler_.delivered, now_);
        moved = true;
      }
      if (!moved) return;
    }
  }

  Script script_;
  protocol::Millis now_ = kStartTime;
  ServerHandler server_handler_;
  ClientHandler client_handler_;
  Session server_;
  Session client_;
  Recording recording_;
};

std::vector<Script> scripts() {
  using End = Script::End;
  // Payload sizes: bits 4-6 index kPayloadSizes (2 = 64 B, 4 = 1 KiB).
  constexpr std::uint8_t k64 = 2 << 4, k1K = 4 << 4;
  return {
      {"hmac-64", 0x80 | k64, 0x80 | 0x08 | k64, true, End::ClientClose},
      {"hmac-1k-dict", 0x80 | 0x08 | 0x01 | k1K, 0x08 | 0x01 | k1K, true, End::ServerGoaway},
      {"token-1k", 0x80 | k1K, 0x80 | 0x08 | 0x02 | k1K, true, End::ClientClose},
      {"token-64-dict", 0x08 | k64, 0x02 | 0x01 | k64, true, End::Nothing},
      {"hmac-resume", 0x04 | 0x80 | k64, 0x04 | 0x08 | k64, true, End::ClientClose},
      {"hmac-handshake", 0, 0, false, End::Nothing},
      {"token-empty", 0x02, 0x02, false, End::ClientClose},
  };
}

// --- one frame of every message type --------------------------------------------------------

std::vector<Bytes> every_message(bool compress, bool dictionary) {
  protocol::FrameEncoder encoder(dictionaries());
  encoder.compression() = session_config(dictionary).compression;
  if (compress) encoder.compression().threshold = encoder.compression().dictionary_threshold = 0;
  std::vector<Bytes> frames;
  auto text = make_payload(200, 'x');
  std::vector<std::string> groups = {"fleet", "room-1"};
  auto add = [&](auto build) {
    Bytes out;
    auto& b = encoder.start();
    encoder.finish(build(b), out);
    frames.push_back(std::move(out));
  };
  using flatbuffers::FlatBufferBuilder;
  add([&](FlatBufferBuilder& b) {
    std::vector<std::uint16_t> ids = {kDictionaryId};
    return wire::CreateHello(b, 1, b.CreateString(kDeviceId), protocol::AuthMethod::Hmac,
                             b.CreateVector(kClientNonce.data(), kClientNonce.size()),
                             b.CreateString("kite1.a.b"), 10'000, 65536, 8,
                             b.CreateVector(text.data(), 8), 3, 7, b.CreateVector(ids),
                             b.CreateString("kite-fuzz/1"));
  });
  add([&](FlatBufferBuilder& b) {
    return wire::CreateChallenge(b, b.CreateVector(kServerNonce.data(), kServerNonce.size()));
  });
  add([&](FlatBufferBuilder& b) { return wire::CreateAuth(b, b.CreateVector(text.data(), 32)); });
  add([&](FlatBufferBuilder& b) {
    return wire::CreateWelcome(b, true, b.CreateVector(text.data(), 8), 7, 3, 5, 10'000, 65536, 8,
                               kDictionaryId, b.CreateVector(text.data(), 32),
                               b.CreateVectorOfStrings(groups));
  });
  add([&](FlatBufferBuilder& b) {
    return wire::CreatePublish(b, 1, protocol::Qos::AtLeastOnce, 60'000,
                               b.CreateString("telemetry/temperature"),
                               b.CreateString("application/json"), b.CreateString("state"),
                               b.CreateVector(text.data(), text.size()), b.CreateString("m-1"));
  });
  add([&](FlatBufferBuilder& b) { return wire::CreateAck(b, 1); });
  add([&](FlatBufferBuilder& b) { return wire::CreateCredit(b, 4); });
  add([&](FlatBufferBuilder& b) { return wire::CreatePing(b, kStartTime); });
  add([&](FlatBufferBuilder& b) { return wire::CreatePong(b, kStartTime); });
  add([&](FlatBufferBuilder& b) {
    return wire::CreateCommand(b, 9, b.CreateString("reboot"), b.CreateVector(text.data(), 16),
                               5000);
  });
  add([&](FlatBufferBuilder& b) {
    return wire::CreateReply(b, 9, 0, b.CreateVector(text.data(), 16));
  });
  add([&](FlatBufferBuilder& b) {
    return wire::CreateSubscribe(b, 1, b.CreateVectorOfStrings(groups));
  });
  add([&](FlatBufferBuilder& b) {
    return wire::CreateUnsubscribe(b, 2, b.CreateVectorOfStrings(groups));
  });
  add([&](FlatBufferBuilder& b) {
    return wire::CreateGoaway(b, protocol::Reason::ServerShutdown, 2500, b.CreateString("bye"));
  });
  add([&](FlatBufferBuilder& b) {
    return wire::CreateError(b, protocol::Reason::QueueFull, b.CreateString("full"), 4);
  });
  return frames;
}

// Splits a stream of frames back into frames (each with its header and padding).
std::vector<Bytes> split_frames(const Bytes& stream) {
  std::vector<Bytes> frames;
  std::size_t at = 0;
  while (stream.size() - at >= protocol::kHeaderSize) {
    protocol::FrameHeader h;
    std::span<const std::uint8_t, protocol::kHeaderSize> header(stream.data() + at,
                                                                protocol::kHeaderSize);
    if (protocol::read_header(header, protocol::kAbsoluteMaxBody, h) != protocol::Reason::None)
      break;
    std::size_t size = protocol::frame_size(h.length);
    if (size > stream.size() - at) break;
    frames.emplace_back(stream.begin() + static_cast<std::ptrdiff_t>(at),
                        stream.begin() + static_cast<std::ptrdiff_t>(at + size));
    at += size;
  }
  return frames;
}

// A frame_body input for one whole frame: selector bytes, then the body.
Bytes body_input(const Bytes& frame) {
  protocol::FrameHeader h;
  std::span<const std::uint8_t, protocol::kHeaderSize> header(frame.data(), protocol::kHeaderSize);
  protocol::read_header(header, protocol::kAbsoluteMaxBody, h);
  std::uint8_t select = 0;
  if (h.compressed()) select = h.dictionary == kDictionaryId ? 0x03 : 0x01;
  Bytes out = {select, 0, 6};  // kMaxBodies[6] = 256 KiB
  out.insert(out.end(), frame.begin() + protocol::kHeaderSize,
             frame.begin() + static_cast<std::ptrdiff_t>(protocol::kHeaderSize + h.length));
  return out;
}

// --- writing -----------------------------------------------------------------------------------

class Writer {
 public:
  explicit Writer(std::filesystem::path dir) : dir_(std::move(dir)) {
    std::filesystem::create_directories(dir_);
  }
  void write(const std::string& name, std::span<const std::uint8_t> bytes) {
    std::ofstream out(dir_ / name, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    if (!out) throw std::runtime_error("cannot write " + (dir_ / name).string());
    ++count_;
  }
  void write(const std::string& name, std::string_view text) {
    write(name, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()});
  }
  int count() const { return count_; }

 private:
  std::filesystem::path dir_;
  int count_ = 0;
};

// The chunk plans each stream seed is written with.
const std::vector<std::pair<std::string, Prefix>>& plans() {
  static const std::vector<std::pair<std::string, Prefix>> p = {
      {"whole", {{kChunkWhole, kChunkWhole, kChunkWhole, kChunkWhole}, 0, 0}},
      {"bytes", {{kChunkOne, kChunkOne, kChunkOne, kChunkOne}, 0, 0x09}},
      {"mixed", {{kChunkSeven, kChunkOne, kChunk64, kChunkWhole}, 0, 0x0a}},
  };
  return p;
}

void session_seeds(Writer& w, bool server) {
  for (const Script& script : scripts()) {
    Recording r = Conversation(script).run();
    for (const auto& [plan_name, plan] : plans()) {
      Prefix prefix = plan;
      prefix.options = server ? script.server_options : script.client_options;
      // Fed in bigger chunks than it was recorded in, a stream carries publishes that the peer
      // sent only after our credit grant: acknowledging inside on_message grants it in time.
      if (plan_name != "bytes") prefix.options |= 1;
      w.write(script.name + "-" + plan_name,
              join_input(prefix, server ? r.to_server : r.to_client));
    }
  }
}

void frame_decoder_seeds(Writer& w) {
  int n = 0;
  for (const Script& script : scripts()) {
    Recording r = Conversation(script).run();
    for (const Bytes* stream : {&r.to_server, &r.to_client})
      for (const auto& [plan_name, plan] : plans()) {
        Prefix prefix = plan;
        prefix.options = static_cast<std::uint8_t>(0x20 | (n % 2 ? 0x08 : 0));  // 64 KiB limit
        w.write("stream-" + std::to_string(n++) + "-" + plan_name, join_input(prefix, *stream));
      }
  }
  Bytes all;
  for (bool compress : {false, true})
    for (const Bytes& frame : every_message(compress, compress))
      all.insert(all.end(), frame.begin(), frame.end());
  for (const auto& [plan_name, plan] : plans())
    w.write("every-message-" + plan_name, join_input(plan, all));
}

void frame_body_seeds(Writer& w) {
  int n = 0;
  for (bool compress : {false, true})
    for (bool dictionary : {false, true}) {
      if (dictionary && !compress) continue;
      for (const Bytes& frame : every_message(compress, dictionary))
        w.write("message-" + std::to_string(n++), body_input(frame));
    }
  Recording r = Conversation(scripts()[1]).run();  // compressed with the dictionary
  for (const Bytes* stream : {&r.to_server, &r.to_client})
    for (const Bytes& frame : split_frames(*stream))
      w.write("recorded-" + std::to_string(n++), body_input(frame));
}

void token_seeds(Writer& w) {
  protocol::TokenClaims claims;
  claims.device_id = std::string(kDeviceId);
  claims.issued_at_s = kTokenNow - 60;
  claims.expires_at_s = kTokenNow + 3600;
  w.write("valid", protocol::mint_token(kTokenKey, claims));
  claims.groups = {"fleet", "room-1", "players"};
  w.write("valid-groups", protocol::mint_token(kTokenKey, claims));
  claims.expires_at_s = kTokenNow;
  w.write("expired", protocol::mint_token(kTokenKey, claims));
  const std::uint8_t other_key[] = {'w', 'r', 'o', 'n', 'g'};
  w.write("forged", protocol::mint_token(other_key, claims));
  w.write("base64", std::string_view("AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"));
  w.write("empty", std::string_view(""));
}

// PROXY headers (server/common/proxy_header.h) as HAProxy writes them, each behind the target's
// two option bytes (2: either version taken; a chunking seed) and before a client's first bytes.
void proxy_header_seeds(Writer& w) {
  const Bytes options = {2, 7};
  const Bytes hello = {0x16, 0x03, 0x01, 0x00, 0x05};  // what a TLS ClientHello begins with
  auto seed = [&](const std::string& name, Bytes header) {
    Bytes input = options;
    input.insert(input.end(), header.begin(), header.end());
    input.insert(input.end(), hello.begin(), hello.end());
    w.write(name, input);
  };
  auto text = [](std::string_view line) { return Bytes(line.begin(), line.end()); };
  seed("v1-tcp4", text("PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n"));
  seed("v1-tcp6", text("PROXY TCP6 2001:db8::7 2001:db8::1 51234 7000\r\n"));
  seed("v1-unknown", text("PROXY UNKNOWN\r\n"));
  const Bytes signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
  auto v2 = [&](std::uint8_t command, std::uint8_t family, const Bytes& payload) {
    Bytes out = signature;
    out.insert(out.end(), {command, family, static_cast<std::uint8_t>(payload.size() >> 8),
                           static_cast<std::uint8_t>(payload.size() & 0xff)});
    out.insert(out.end(), payload.begin(), payload.end());
    return out;
  };
  const Bytes ipv4 = {192, 0, 2, 7, 198, 51, 100, 1, 0xC8, 0x22, 0x1B, 0x58};
  Bytes ipv6(36, 0);
  ipv6[0] = 0x20, ipv6[1] = 0x01, ipv6[15] = 7, ipv6[16] = 0x20, ipv6[17] = 0x01, ipv6[31] = 1;
  Bytes ipv4_tlvs = ipv4;
  ipv4_tlvs.insert(ipv4_tlvs.end(), {0x01, 0x00, 0x02, 'h', '2', 0x04, 0x00, 0x03, 0, 0, 0});
  seed("v2-ipv4", v2(0x21, 0x11, ipv4));
  seed("v2-ipv6", v2(0x21, 0x21, ipv6));
  seed("v2-ipv4-tlvs", v2(0x21, 0x11, ipv4_tlvs));
  seed("v2-local", v2(0x20, 0x00, {}));
  seed("v2-unspec", v2(0x21, 0x00, {}));
}

int run(const std::filesystem::path& out, const std::string& target) {
  Writer w(out / target);
  if (target == "fuzz_server_session")
    session_seeds(w, true);
  else if (target == "fuzz_client_session")
    session_seeds(w, false);
  else if (target == "fuzz_frame_decoder")
    frame_decoder_seeds(w);
  else if (target == "fuzz_frame_body")
    frame_body_seeds(w);
  else if (target == "fuzz_token")
    token_seeds(w);
  else if (target == "fuzz_proxy_header")
    proxy_header_seeds(w);
  else if (target == "fuzz_http_request" || target == "fuzz_admin_request" ||
           target == "fuzz_store_records" || target == "fuzz_event_query" ||
           target == "fuzz_cidr" || target == "fuzz_tls_server" || target == "fuzz_capture" ||
           target == "fuzz_dictionary" || target == "fuzz_webhook_answer" ||
           target == "fuzz_http_url" || target == "fuzz_cluster_message" ||
           target == "fuzz_consumer_group_state" || target == "fuzz_websocket_frames" ||
           target == "fuzz_websocket_opening" || target == "fuzz_session_file")
    return 0;  // their seeds live in tests/fuzz/seeds/<target>/ (run-all copies them)
  else {
    std::fprintf(stderr, "make_seeds: unknown target %s\n", target.c_str());
    return 2;
  }
  return w.count() > 0 ? 0 : 1;
}

}  // namespace
}  // namespace kite::fuzz

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: make_seeds OUT_DIR TARGET...\n");
    return 2;
  }
  for (int i = 2; i < argc; ++i)
    if (int status = kite::fuzz::run(argv[1], argv[i]); status != 0) return status;
  return 0;
}
