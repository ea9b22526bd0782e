// The Hello, the first frame of every connection: built by a client from its credentials and
// configuration, checked and read by a server before any of it is kept. Pure functions: the
// session decides what to keep and what to answer (session.cc).
#pragma once

#include <cstdint>
#include <vector>

#include "body_check.h"
#include "kite/protocol/session_types.h"
#include "kite/wire/kite_generated.h"

namespace kite::protocol {

// A checked Hello, as the server reads it. Views point into the frame.
struct HelloBody {
  HelloInfo info;           // what the app decides on (on_hello)
  Nonce client_nonce{};     // Hmac only
  std::uint32_t credit;     // the client's downlink window, read as announced_credit() does
  std::uint32_t max_frame;  // its largest body, read as announced_max_frame() does
  std::vector<std::uint16_t> dictionaries;  // ids of the dictionaries it holds
};

flatbuffers::Offset<wire::Hello> build_hello(flatbuffers::FlatBufferBuilder& b,
                                             const ClientCredentials& credentials,
                                             const ResumeRequest& resume,
                                             const SessionConfig& config);

// The refusals of a Hello in the order they are checked (version, device id, the method and its
// fields, field limits). Its last_received_seq is left to check_announced_seq(), which the
// session calls once it has kept the device id.
Refusal check_hello(const wire::Hello& hello);
HelloBody read_hello(const wire::Hello& hello);

}  // namespace kite::protocol
