// Fuzzes BodyDecoder::decode: inflation (with and without a dictionary) and the FlatBuffers
// Verifier under Kite's limits. The input is:
//
//   byte 0   bit 0: the compressed flag; bits 1-2: the dictionary id (0, 1 = the fuzzer's
//            dictionary, 2 = unknown, 3 = byte 1) when compressed
//   byte 1   a raw dictionary id, for bits 1-2 = 3
//   byte 2   the max_body passed to decode (kMaxBodies[byte % 8])
//   byte 3.. the body, copied into an 8-aligned buffer as the frame decoder would hand it over
//
// When decode succeeds, every field of the message is read (strings and vectors to their last
// byte), so a read that the Verifier did not cover shows up under ASan. A success must point at
// a message of a known type, since the session dereferences it.
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_common.h"

namespace kite::fuzz {
namespace {

using flatbuffers::Offset;
using flatbuffers::String;
using flatbuffers::Vector;

constexpr std::array<std::uint32_t, 8> kMaxBodies = {
    protocol::kDefaultMaxBody, 0, 16, 256, 4096, protocol::limits::kHandshakeMaxBody, 256u << 10,
    protocol::kAbsoluteMaxBody};

// Reads everything it is given; the sum keeps the reads from being optimised away.
struct Walker {
  std::uint64_t sum = 0;

  void add(std::uint64_t v) { sum = sum * 31 + v; }
  void add(const String* s) {
    if (!s) return;
    for (char c : std::string_view(s->c_str(), s->size())) add(static_cast<unsigned char>(c));
    add(static_cast<unsigned char>(s->c_str()[s->size()]));  // the terminator is verified too
  }
  template <typename T>
  void add(const Vector<T>* v) {
    if (!v) return;
    for (auto x : *v) add(static_cast<std::uint64_t>(x));
  }
  void add(const Vector<Offset<String>>* v) {
    if (!v) return;
    for (const String* s : *v) add(s);
  }

  void walk(const wire::Frame& frame) {
    using wire::Message;
    add(static_cast<std::uint64_t>(frame.message_type()));
    switch (frame.message_type()) {
      case Message::Hello: {
        const auto& m = *frame.message_as_Hello();
        add(m.version()), add(m.device_id()), add(static_cast<std::uint64_t>(m.method()));
        add(m.client_nonce()), add(m.token()), add(m.keepalive_ms()), add(m.max_frame());
        add(m.credit()), add(m.resume_token()), add(m.last_received_seq()), add(m.store_epoch());
        add(m.dictionaries()), add(m.agent());
        break;
      }
      case Message::Challenge:
        add(frame.message_as_Challenge()->server_nonce());
        break;
      case Message::Auth:
        add(frame.message_as_Auth()->proof());
        break;
      case Message::Welcome: {
        const auto& m = *frame.message_as_Welcome();
        add(m.resumed()), add(m.resume_token()), add(m.store_epoch()), add(m.last_received_seq());
        add(m.next_seq()), add(m.keepalive_ms()), add(m.max_frame()), add(m.credit());
        add(m.dictionary()), add(m.server_proof()), add(m.groups());
        break;
      }
      case Message::Publish: {
        const auto& m = *frame.message_as_Publish();
        add(m.seq()), add(static_cast<std::uint64_t>(m.qos())), add(m.ttl_ms()), add(m.topic());
        add(m.content_type()), add(m.conflation_key()), add(m.payload()), add(m.message_id());
        break;
      }
      case Message::Ack:
        add(frame.message_as_Ack()->seq());
        break;
      case Message::Credit:
        add(frame.message_as_Credit()->grant());
        break;
      case Message::Ping:
        add(frame.message_as_Ping()->token());
        break;
      case Message::Pong:
        add(frame.message_as_Pong()->token());
        break;
      case Message::Command: {
        const auto& m = *frame.message_as_Command();
        add(m.id()), add(m.name()), add(m.payload()), add(m.timeout_ms());
        break;
      }
      case Message::Reply: {
        const auto& m = *frame.message_as_Reply();
        add(m.id()), add(m.status()), add(m.payload());
        break;
      }
      case Message::Subscribe:
        add(frame.message_as_Subscribe()->request_id()),
            add(frame.message_as_Subscribe()->groups());
        break;
      case Message::Unsubscribe:
        add(frame.message_as_Unsubscribe()->request_id());
        add(frame.message_as_Unsubscribe()->groups());
        break;
      case Message::Goaway: {
        const auto& m = *frame.message_as_Goaway();
        add(static_cast<std::uint64_t>(m.reason())), add(m.reconnect_after_ms()), add(m.message());
        break;
      }
      case Message::Error: {
        const auto& m = *frame.message_as_Error();
        add(static_cast<std::uint64_t>(m.reason())), add(m.message()), add(m.ref());
        break;
      }
      default:
        break;  // a newer peer's message type: the session refuses it by type alone
    }
  }
};

}  // namespace
}  // namespace kite::fuzz

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace kite;
  using namespace kite::fuzz;
  if (size < 3) return 0;
  static protocol::BodyDecoder decoder(dictionaries());  // reused, as a session reuses its own

  protocol::RawFrame raw;
  if (data[0] & 1) {
    raw.header.flags = protocol::flags::kCompressed;
    const std::uint16_t ids[4] = {0, kDictionaryId, 2, data[1]};
    raw.header.dictionary = ids[(data[0] >> 1) & 3];
  }
  std::uint32_t max_body = kMaxBodies[data[2] % kMaxBodies.size()];
  std::size_t length = size - 3;
  std::vector<std::uint64_t> words(length / 8 + 1);
  if (length > 0) std::memcpy(words.data(), data + 3, length);
  raw.header.length = static_cast<std::uint32_t>(length);
  raw.body = {reinterpret_cast<const std::uint8_t*>(words.data()), length};

  const wire::Frame* frame = nullptr;
  protocol::Reason reason = decoder.decode(raw, max_body, frame);
  if (reason != protocol::Reason::None) {
    KITE_FUZZ_CHECK(reason == protocol::Reason::InvalidBody ||
                    reason == protocol::Reason::DecompressionFailed ||
                    reason == protocol::Reason::DecompressionBomb ||
                    reason == protocol::Reason::UnknownDictionary);
    return 0;
  }
  KITE_FUZZ_CHECK(frame != nullptr);
  // A verified frame names a message and holds it: the session reads *message_as_X().
  KITE_FUZZ_CHECK(frame->message_type() != wire::Message::NONE);
  KITE_FUZZ_CHECK(frame->message() != nullptr);
  Walker walker;
  walker.walk(*frame);
  volatile std::uint64_t sink = walker.sum;
  (void)sink;
  return 0;
}
