// zstd dictionaries as `kite dict train` makes them, checked before kited, the SDK or the tools
// use one.
//
// A dictionary is used by its id: the frame header names it, the hello lists the ids a client
// holds, the welcome names the one the server picked. So only zstd-format dictionaries are taken
// (magic 0xEC30A437, the id in their header): a raw-content file has no id both sides could agree
// on, and ids above 65535 do not fit the frame header.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kite/protocol/compression.h"

namespace kite::protocol {

// The id zstd wrote into a dictionary's header; 0 when the bytes are not a zstd dictionary.
std::uint32_t dictionary_id(std::span<const std::uint8_t> bytes);

// Adds a dictionary to `set` under the id in its header, prepared for compression `level`.
// Returns an empty string, with the id in `id`; or what is wrong and what to do about it.
std::string add_trained_dictionary(DictionarySet& set, std::span<const std::uint8_t> bytes,
                                   int level, std::uint16_t& id);

// The same for a file (plain stdio: read once, at start). Problems begin with the path:
// "/etc/kite/t.zdict: cannot open it: No such file or directory".
std::string add_trained_dictionary_file(DictionarySet& set, const std::string& path, int level,
                                        std::uint16_t& id);

// Several files, at most limits::kDictionaries (a hello lists no more). Returns "" or the first
// problem, with `failed` the index of its file (paths.size() when there are too many).
std::string add_trained_dictionary_files(DictionarySet& set, std::span<const std::string> paths,
                                         int level, std::size_t& failed);

}  // namespace kite::protocol
