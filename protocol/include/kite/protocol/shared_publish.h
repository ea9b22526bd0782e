// A QoS 0 publish encoded once for many receivers (a group send): the frame is built and
// compressed once, then every receiving session appends the same bytes (Session::send_shared).
//
// Why one encoding fits every receiver:
//  - a QoS 0 publish takes no seq of its own; its `seq` field only echoes the last QoS 1 seq of
//    the connection, which receivers do not read (they acknowledge a QoS 0 publish as their last
//    delivered seq). A shared frame carries 0 there (docs/protocol.md, section 6.2);
//  - compression: receivers may differ in the dictionary agreed in their handshake, so the frame
//    is encoded without a dictionary (every receiver reads that) and, when the sender has a
//    dictionary and it pays, once more with it;
//  - the receiver's maximum frame size is checked per session against body_size().
//
// Rules it keeps: immutable once built, so any number of threads may read one at once; it owns
// its bytes (the message it was built from may go away).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "kite/protocol/frame_codec.h"
#include "kite/protocol/session_types.h"

namespace kite::protocol {

class SharedPublish {
 public:
  // One way of putting the publish on the wire: header, body and padding.
  struct Encoding {
    std::vector<std::uint8_t> frame;
    std::uint32_t wire_body = 0;  // body bytes as written (after compression)
    bool compressed = false;
  };

  // Encodes `message` (must be QoS 0) with `encoder`, using its compression settings;
  // `dictionary` (0 = none) is the one sessions may have agreed. Empty when the message is not
  // QoS 0, a field is above its limit, or the body is above the absolute frame limit.
  static std::optional<SharedPublish> encode(FrameEncoder& encoder, const OutgoingMessage& message,
                                             std::uint16_t dictionary);

  // The encoding for a session that compresses with `dictionary` (0 = none).
  const Encoding& for_dictionary(std::uint16_t dictionary) const {
    return dictionary != 0 && dictionary == dictionary_ ? with_dictionary_ : plain_;
  }
  // Body size before compression: what a receiver's maximum frame size bounds.
  std::uint32_t body_size() const { return body_size_; }

 private:
  Encoding plain_;            // no dictionary: readable by every receiver
  Encoding with_dictionary_;  // used only when dictionary_ != 0
  std::uint16_t dictionary_ = 0;
  std::uint32_t body_size_ = 0;
};

}  // namespace kite::protocol
