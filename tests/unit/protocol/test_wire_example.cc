// The examples of docs/protocol.md, checked against the code so the document cannot drift: the
// worked frame (section 9, byte for byte), the handshake test vector and the token (section 5).
// If a test here fails after a deliberate change to the encoding, update the document too.
#include <doctest/doctest.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kite/protocol/frame_codec.h"
#include "kite/protocol/frame_decoder.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/token.h"

using namespace kite::protocol;

namespace {

// docs/protocol.md, section 9: the frame of a Publish with seq 1, qos 1, topic "t", payload "hi".
constexpr std::array<std::uint8_t, 96> kExampleFrame = {
    0x58, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // header: length 88, flags 0, dictionary 0
    0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // root offset 16; padding
    0x08, 0x00, 0x0e, 0x00, 0x07, 0x00, 0x08, 0x00,  // Frame vtable
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,  // Frame table: soffset, pad, message_type
    0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x12, 0x00,  // message offset; pad; Publish vtable...
    0x18, 0x00, 0x10, 0x00, 0x07, 0x00, 0x00, 0x00,  //
    0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x00,  // ...Publish vtable
    0x12, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,  // Publish table: soffset, pad, qos
    0x18, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00,  // topic offset, payload offset
    0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  // seq
    0x02, 0x00, 0x00, 0x00, 0x68, 0x69, 0x00, 0x00,  // payload vector "hi"; pad
    0x01, 0x00, 0x00, 0x00, 0x74, 0x00, 0x00, 0x00,  // topic "t", NUL; pad (no frame padding)
};

}  // namespace

TEST_CASE("wire example: the publish of docs/protocol.md, byte for byte") {
  // Built in the order Session::publish() builds it: strings before the payload vector.
  FrameEncoder encoder;
  auto& b = encoder.start();
  auto topic = b.CreateString("t");
  const std::uint8_t hi[] = {'h', 'i'};
  auto payload = b.CreateVector(hi, sizeof hi);
  std::vector<std::uint8_t> out;
  std::size_t body = encoder.finish(
      kite::wire::CreatePublish(b, 1, kite::wire::Qos::AtLeastOnce, 0, topic, 0, 0, payload, 0),
      out);

  CHECK(body == 88);
  REQUIRE(out.size() == kExampleFrame.size());
  for (std::size_t i = 0; i < out.size(); ++i) {
    CAPTURE(i);
    CHECK(out[i] == kExampleFrame[i]);
  }

  // And the documented bytes decode to the documented message.
  FrameDecoder decoder;
  decoder.feed(kExampleFrame);
  DecodeResult raw = decoder.next();
  REQUIRE(raw.status == DecodeResult::Status::Frame);
  CHECK(raw.frame.header.length == 88);
  CHECK(raw.frame.header.flags == 0);
  CHECK(raw.frame.header.dictionary == 0);
  BodyDecoder body_decoder;
  const kite::wire::Frame* frame = nullptr;
  REQUIRE(body_decoder.decode(raw.frame, decoder.max_body(), frame) == Reason::None);
  REQUIRE(frame->message_type() == kite::wire::Message::Publish);
  const auto* publish = frame->message_as_Publish();
  REQUIRE(publish != nullptr);
  CHECK(publish->seq() == 1);
  CHECK(publish->qos() == kite::wire::Qos::AtLeastOnce);
  CHECK(publish->ttl_ms() == 0);
  REQUIRE(publish->topic() != nullptr);
  CHECK(publish->topic()->str() == "t");
  CHECK(publish->content_type() == nullptr);
  REQUIRE(publish->payload() != nullptr);
  CHECK(publish->payload()->size() == 2);
  CHECK(publish->message_id() == nullptr);
  CHECK(decoder.next().status == DecodeResult::Status::NeedMore);
}

namespace {

std::span<const std::uint8_t> bytes_of(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

TEST_CASE("wire example: the handshake test vector of docs/protocol.md") {
  const std::string master(32, '\x01');
  const std::string_view device = "thermo-42";
  Nonce client_nonce{};
  Nonce server_nonce{};
  for (std::size_t i = 0; i < kNonceSize; ++i) {
    client_nonce[i] = static_cast<std::uint8_t>(i);
    server_nonce[i] = static_cast<std::uint8_t>(0x80 + i);
  }
  DeviceKey key = derive_device_key(bytes_of(master), device);
  CHECK(hex_encode(key) == "44b19477a874b0c5eb5d44206da5997f1390dce4069b0e4316b9d78da32fffd5");
  Proof client = client_proof(key, device, client_nonce, server_nonce);
  Proof server = server_proof(key, device, client_nonce, server_nonce);
  CHECK(hex_encode(client) == "85e654d36938af3f44174e0db80b318896f483a76664ac53129584956b7c4035");
  CHECK(hex_encode(server) == "4f0384da6be8714bac47081b44a2416a918ba5a4df6010e3fa039c153eb4fba1");

  // The transcript exactly as the document lays it out: label, u16 LE id length, id, u8 nonce
  // length, client nonce, u8 nonce length, server nonce.
  auto transcript = [&](std::string_view label) {
    std::string t(label);
    t.push_back(static_cast<char>(device.size()));
    t.push_back(0);
    t.append(device);
    t.push_back(32);
    t.append(reinterpret_cast<const char*>(client_nonce.data()), client_nonce.size());
    t.push_back(32);
    t.append(reinterpret_cast<const char*>(server_nonce.data()), server_nonce.size());
    return t;
  };
  for (auto [label, expected] :
       {std::pair{"kite/1 client proof", client}, std::pair{"kite/1 server proof", server}}) {
    std::string t = transcript(label);
    CHECK(t.size() == 96);
    Proof mac{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(t.data()), t.size(), mac.data(), &length);
    CHECK(mac == expected);
  }
}

TEST_CASE("wire example: the token of docs/protocol.md") {
  const std::string_view signing_key = "example signing key";
  TokenClaims claims{"thermo-42", {"fleet-a"}, 1700000000, 1700086400};
  const std::string token = mint_token(bytes_of(signing_key), claims);
  CHECK(token ==
        "kite1.FAAAAAAAAAAMACAABAAIAAwAFAAMAAAAMAAAABgAAAAA8VNlAAAAAIBCVWUAAAAAAAAAAAEAAAAEAAAABwAA"
        "AGZsZWV0LWEACQAAAHRoZXJtby00MgAAAA.X66976Al-AndTLnUlqviaKsJbY6eNysl3AzNNm4MkWQ");
  TokenClaims back;
  CHECK(verify_token(token, bytes_of(signing_key), 1700086399, back) == Reason::None);
  CHECK(back.device_id == "thermo-42");
  CHECK(verify_token(token, bytes_of(signing_key), 1700086400, back) == Reason::TokenExpired);
  CHECK(verify_token(token, bytes_of("another key"), 1700000000, back) == Reason::AuthFailed);
}
