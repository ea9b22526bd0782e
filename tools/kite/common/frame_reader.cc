#include "common/frame_reader.h"

#include "kite/capture/frame_splitter.h"
#include "kite/protocol/reason.h"

namespace kite::cli {

std::string missing_dictionary(const protocol::FrameHeader& header,
                               const protocol::DictionarySet* dictionaries) {
  if (!header.compressed() || header.dictionary == 0) return {};
  if (dictionaries && dictionaries->decompression(header.dictionary)) return {};
  return "needs dictionary " + std::to_string(header.dictionary) +
         ": the body is compressed with a zstd dictionary that was not given (--dictionary FILE)";
}

FrameReader::FrameReader(std::shared_ptr<const protocol::DictionarySet> dictionaries)
    : dictionaries_(dictionaries), bodies_(std::move(dictionaries)) {}

const wire::Frame* FrameReader::read(std::span<const std::uint8_t> bytes, std::string& problem) {
  protocol::FrameHeader header;
  problem = capture::whole_frame_problem(bytes, header);
  if (!problem.empty()) return nullptr;
  problem = missing_dictionary(header, dictionaries_.get());
  if (!problem.empty()) return nullptr;
  aligned_.clear();  // FlatBuffers reads in place: the body must be 8-byte aligned
  aligned_.append(bytes.subspan(protocol::kHeaderSize, header.length));
  const wire::Frame* frame = nullptr;
  const protocol::Reason reason =
      bodies_.decode({header, aligned_.view()}, protocol::kAbsoluteMaxBody, frame);
  if (reason != protocol::Reason::None) problem = std::string(protocol::reason_name(reason));
  return reason == protocol::Reason::None ? frame : nullptr;
}

}  // namespace kite::cli
