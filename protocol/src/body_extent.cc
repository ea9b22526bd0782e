#include "body_extent.h"

#include <algorithm>

namespace kite::protocol::detail {
namespace {

class Extent {
 public:
  explicit Extent(const std::uint8_t* base) : base_(base) {}

  std::size_t end() const { return end_; }

  void reach(const void* p, std::size_t bytes) {
    if (!p) return;
    const auto* at = static_cast<const std::uint8_t*>(p);
    end_ = std::max(end_, static_cast<std::size_t>(at - base_) + bytes);
  }
  // A table's inline fields and its vtable (vtable[0]: its size, vtable[1]: the table's).
  void table(const flatbuffers::Table* t) {
    if (!t) return;
    // ReadScalar, as FlatBuffers' own Table reads vtables: endian-correct, and no cast to
    // voffset_t* here, which -Wcast-align rejects on armhf. The Verifier checked the alignment.
    const std::uint8_t* vtable = t->GetVTable();
    using flatbuffers::voffset_t;
    reach(vtable, flatbuffers::ReadScalar<voffset_t>(vtable));
    reach(t, flatbuffers::ReadScalar<voffset_t>(vtable + sizeof(voffset_t)));
  }
  void string(const flatbuffers::String* s) {
    if (s) reach(s->c_str(), s->size() + 1);  // and its terminating zero
  }
  template <typename T>
  void vector(const flatbuffers::Vector<T>* v) {
    if (v) reach(v->Data(), v->size() * sizeof(T));
  }
  void strings(const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
    if (!v) return;
    reach(v->Data(), v->size() * sizeof(flatbuffers::uoffset_t));
    for (const auto* s : *v) string(s);
  }

 private:
  const std::uint8_t* base_;
  std::size_t end_ = sizeof(flatbuffers::uoffset_t);  // the root offset
};

void hello(Extent& e, const wire::Hello& m) {
  e.string(m.device_id());
  e.vector(m.client_nonce());
  e.string(m.token());
  e.vector(m.resume_token());
  e.vector(m.dictionaries());
  e.string(m.agent());
}

void welcome(Extent& e, const wire::Welcome& m) {
  e.vector(m.resume_token());
  e.vector(m.server_proof());
  e.strings(m.groups());
}

void publish(Extent& e, const wire::Publish& m) {
  e.string(m.topic());
  e.string(m.content_type());
  e.string(m.conflation_key());
  e.vector(m.payload());
  e.string(m.message_id());
  e.string(m.target());
}

// The message's own references (its table is counted by the caller).
void message_fields(Extent& e, const wire::Frame& frame) {
  using wire::Message;
  switch (frame.message_type()) {
    case Message::Hello:
      return hello(e, *frame.message_as_Hello());
    case Message::Challenge:
      return e.vector(frame.message_as_Challenge()->server_nonce());
    case Message::Auth:
      return e.vector(frame.message_as_Auth()->proof());
    case Message::Welcome:
      return welcome(e, *frame.message_as_Welcome());
    case Message::Publish:
      return publish(e, *frame.message_as_Publish());
    case Message::Command:
      e.string(frame.message_as_Command()->name());
      return e.vector(frame.message_as_Command()->payload());
    case Message::Reply:
      return e.vector(frame.message_as_Reply()->payload());
    case Message::Subscribe:
      return e.strings(frame.message_as_Subscribe()->groups());
    case Message::Unsubscribe:
      return e.strings(frame.message_as_Unsubscribe()->groups());
    case Message::Goaway:
      return e.string(frame.message_as_Goaway()->message());
    case Message::Error:
      return e.string(frame.message_as_Error()->message());
    default:
      return;  // Ack, Credit, Ping, Pong: scalars only
  }
}

}  // namespace

std::size_t body_extent(const wire::Frame& frame, const std::uint8_t* base) {
  Extent e(base);
  e.table(reinterpret_cast<const flatbuffers::Table*>(&frame));  // a private base
  // The Verifier checks the message table of a known type only: the table of a type this build
  // does not know (a newer peer's) is unchecked bytes, and the caller refuses it anyway.
  if (frame.message_type() > wire::Message::MAX) return e.end();
  e.table(static_cast<const flatbuffers::Table*>(frame.message()));
  message_fields(e, frame);
  return e.end();
}

}  // namespace kite::protocol::detail
