// ClientOptions::dictionary_files, read when the client starts: the zstd dictionaries the hello
// offers kited, by the id in each file's header.
#pragma once

#include <string>
#include <vector>

#include "kite/protocol/session_types.h"

namespace kite::sdk {

// Loads every file into config.dictionaries; "" or what is wrong, naming the option and file:
// "dictionary_files[1]: /data/t.zdict: cannot open it: No such file or directory".
std::string load_dictionaries(const std::vector<std::string>& files,
                              protocol::SessionConfig& config);

}  // namespace kite::sdk
