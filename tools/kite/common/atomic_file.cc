#include "common/atomic_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace kite::cli {
namespace {

std::string failed(const std::string& what, const std::string& path, const char* temporary) {
  std::string message = "cannot " + what + " " + path + ": " + std::strerror(errno);
  if (temporary) ::unlink(temporary);
  return message;
}

bool write_all(int fd, std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

}  // namespace

std::string write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  std::string pattern = path + ".XXXXXX";  // mkstemp's template: beside the target, same disk
  std::vector<char> temporary(pattern.begin(), pattern.end());
  temporary.push_back('\0');
  const int fd = ::mkstemp(temporary.data());
  if (fd < 0) return failed("create a file beside", path, nullptr);
  const bool written = write_all(fd, bytes) && ::fsync(fd) == 0;
  const int saved = errno;
  if (::close(fd) != 0 || !written) {
    errno = written ? errno : saved;
    return failed("write", path, temporary.data());
  }
  // mkstemp makes the file 0600; a dictionary is no secret, and kited may run as another user.
  ::chmod(temporary.data(), 0644);
  if (std::rename(temporary.data(), path.c_str()) != 0)
    return failed("replace", path, temporary.data());
  return {};
}

}  // namespace kite::cli
