// Secrets at rest: see secret_files.h.
#include "config/secret_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"

namespace kite::server::config {
namespace {

std::string errno_text(std::string_view what, const std::filesystem::path& path) {
  return fmt::format("{} {}: {}", what, path.string(), std::strerror(errno));
}

// Writes all of `contents` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, std::string_view contents) {
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    contents.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

bool holds_inline_secret(const Config& config) {
  if (!config.auth.master_key.empty() || !config.auth.token_key.empty() ||
      !config.admin.token.empty())
    return true;
  for (const AdminToken& token : config.admin.tokens)
    if (!token.token.empty()) return true;
  for (const WebhookConfig& hook : config.webhooks)
    if (!hook.secret.empty()) return true;
  return false;
}

}  // namespace

std::string write_private_file(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path temporary = path;
  temporary += fmt::format(".tmp-{}", ::getpid());
  ::unlink(temporary.c_str());  // a leftover of a crashed run: O_EXCL below must create anew
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return errno_text("cannot create", temporary);
  // The mode argument is already masked by the umask; fchmod makes it exactly 0600 either way.
  const bool written = ::fchmod(fd, 0600) == 0 && write_all(fd, contents) && ::fsync(fd) == 0;
  std::string error = written ? std::string() : errno_text("cannot write", temporary);
  if (::close(fd) != 0 && error.empty()) error = errno_text("cannot close", temporary);
  if (error.empty() && ::rename(temporary.c_str(), path.c_str()) != 0)
    error = errno_text("cannot rename to", path);
  if (!error.empty()) ::unlink(temporary.c_str());
  return error;
}

std::string create_private_directories(const std::filesystem::path& directory) {
  std::filesystem::path built;
  for (const auto& part : directory) {
    built /= part;
    if (::mkdir(built.c_str(), 0700) == 0 || errno == EEXIST) continue;
    return errno_text("cannot create directory", built);
  }
  return {};
}

std::string loose_permissions(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};  // reading it will report what is wrong
  if ((st.st_mode & (S_IRWXG | S_IRWXO)) == 0) return {};
  return fmt::format("mode {:04o}", st.st_mode & 07777);
}

std::vector<std::pair<std::string, std::string>> secret_files(const Config& config,
                                                              const std::string& config_file) {
  std::vector<std::pair<std::string, std::string>> files;
  const auto add = [&](const char* what, const std::string& path) {
    if (!path.empty()) files.emplace_back(what, path);
  };
  add("auth.master_key_file", config.auth.master_key_file);
  add("auth.device_keys_file", config.auth.device_keys_file);
  add("auth.service_credentials_file", config.auth.service_credentials_file);
  add("tls.key_file", config.tls.key_file);
  add("admin.tls_key_file", config.admin.tls_key_file);
  for (std::size_t i = 0; i < config.webhooks.size(); ++i) {
    if (!config.webhooks[i].secret_file.empty())
      files.emplace_back(fmt::format("webhooks[{}].secret_file", i),
                         config.webhooks[i].secret_file);
  }
  if (holds_inline_secret(config)) add("config file", config_file);
  return files;
}

std::size_t warn_loose_secret_files(const Config& config, const std::string& config_file) {
  std::size_t loose = 0;
  for (const auto& [what, path] : secret_files(config, config_file)) {
    const std::string mode = loose_permissions(path);
    if (mode.empty()) continue;
    ++loose;
    KITE_LOG(warn, "server.secret_file_readable",
             {{"setting", what},
              {"path", path},
              {"permissions", mode},
              {"fix", "chmod 600 the file; it holds key material others can read"}});
  }
  return loose;
}

}  // namespace kite::server::config
