// Secrets at rest: files kited writes that hold secrets are private from their first byte, the
// directories it creates are private, and the key files an operator gives it are checked.
//
// Rules:
// - write_private_file() never leaves a moment where the file is readable by others: it writes a
//   new file created 0600 with O_CREAT|O_EXCL (whatever the umask), fsyncs it, then renames it
//   over the target, so a reader sees the old file or the whole new one.
// - create_private_directories() creates the missing components 0700; existing ones are left as
//   the operator made them.
// - A key or secret file that is group- or world-readable is not refused (an operator may have a
//   reason, and refusing would stop kited on a restart after a careless copy) but logged as a
//   warning, `server.secret_file_readable`, naming the file and its mode, never its contents.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config.h"

namespace kite::server::config {

// "" on success, else what failed (path and errno text).
std::string write_private_file(const std::filesystem::path& path, std::string_view contents);
std::string create_private_directories(const std::filesystem::path& directory);

// "" when only the owner may read `path` (or it cannot be inspected), else e.g. "mode 0644".
std::string loose_permissions(const std::filesystem::path& path);

// The files of `config` that hold key material, as (what, path): the master key, device keys and
// service credentials files, both TLS private keys, the webhooks' secret files, and the config
// file itself when it holds a key, an admin token or a webhook secret.
std::vector<std::pair<std::string, std::string>> secret_files(const Config& config,
                                                              const std::string& config_file);

// Logs one warning per file of secret_files() that others can read; returns how many.
std::size_t warn_loose_secret_files(const Config& config, const std::string& config_file);

}  // namespace kite::server::config
