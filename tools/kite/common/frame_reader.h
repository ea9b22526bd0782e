// Decodes whole captured frames (header, body, padding, as kite::capture gives them) into their
// messages, for the tools that act on what a capture holds (replay, dict train). A body
// compressed with a dictionary decodes when the dictionary was given (--dictionary FILE).
#pragma once

#include <memory>
#include <span>
#include <string>

#include "kite/protocol/frame_codec.h"

namespace kite::cli {

// "needs dictionary N: ..." when `header`'s body is compressed with a dictionary that is not
// among `dictionaries` (which may be null); else "".
std::string missing_dictionary(const protocol::FrameHeader& header,
                               const protocol::DictionarySet* dictionaries);

class FrameReader {
 public:
  explicit FrameReader(std::shared_ptr<const protocol::DictionarySet> dictionaries = nullptr);

  // The message, valid until the next call; nullptr with `problem` set when the frame does not
  // decode ("needs dictionary 4242: ..." when it was compressed with one not given).
  const wire::Frame* read(std::span<const std::uint8_t> bytes, std::string& problem);

 private:
  std::shared_ptr<const protocol::DictionarySet> dictionaries_;
  protocol::BodyDecoder bodies_;
  protocol::AlignedBuffer aligned_;
};

}  // namespace kite::cli
