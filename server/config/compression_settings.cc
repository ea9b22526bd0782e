#include "config/compression_settings.h"

#include <cstdint>
#include <limits>
#include <memory>

#include "kite/protocol/trained_dictionary.h"

namespace kite::server::config {
namespace {

constexpr std::size_t kNever = std::numeric_limits<std::size_t>::max();

}  // namespace

std::string apply_compression(const CompressionConfig& compression,
                              protocol::SessionConfig& session) {
  auto& settings = session.compression;
  settings.level = static_cast<int>(compression.level);
  settings.threshold = compression.enabled ? compression.threshold_bytes : kNever;
  settings.dictionary_threshold =
      compression.enabled ? compression.dictionary_threshold_bytes : kNever;
  settings.dictionary = 0;
  session.dictionaries = nullptr;
  if (compression.dictionary_file.empty()) return {};

  auto set = std::make_shared<protocol::DictionarySet>();
  std::uint16_t id = 0;
  if (auto problem = protocol::add_trained_dictionary_file(*set, compression.dictionary_file,
                                                           settings.level, id);
      !problem.empty())
    return problem;
  // Loaded even when compression is off, so that a bad file is found before it is turned on;
  // held only when on: with it off, no handshake agrees on a dictionary.
  if (compression.enabled) {
    session.dictionaries = std::move(set);
    settings.dictionary = id;
  }
  return {};
}

}  // namespace kite::server::config
