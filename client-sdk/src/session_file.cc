#include "session_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <utility>

namespace kite::sdk {
namespace {

std::string failed(std::string_view what, const std::string& path) {
  return std::string(what) + " " + path + ": " + std::strerror(errno);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::string folder_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

bool write_all(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

SessionFile::SessionFile(std::string path, std::uint32_t writes_per_minute)
    : path_(std::move(path)),
      interval_ms_(60'000 / std::max<std::uint32_t>(writes_per_minute, 1)),
      last_batched_(std::numeric_limits<Millis>::min() / 2) {}

std::string SessionFile::write(SavedSession& session, Millis now, bool batched) {
  last_error_ = write_file(session, now, batched);
  return last_error_;
}

bool SessionFile::load(SavedSession& out, std::string& error) const {
  Fd fd(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    if (errno != ENOENT) error = failed("cannot open", path_);
    return false;
  }
  std::vector<std::uint8_t> bytes;
  std::uint8_t chunk[16 << 10];
  for (;;) {
    const ssize_t n = ::read(fd.get(), chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      error = failed("cannot read", path_);
      return false;
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk, chunk + n);
    if (bytes.size() > kMaxSessionFile) break;
  }
  error = decode_session(bytes, out);
  if (!error.empty()) error = path_ + ": " + error;
  return error.empty();
}

std::string SessionFile::write_file(SavedSession& session, Millis now, bool batched) {
  if (batched) last_batched_ = now;
  session.written_at_unix_ms =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  const std::string temporary = path_ + ".new";
  Fd fd(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (fd.get() < 0) return failed("cannot create", temporary);
  if (!write_all(fd.get(), encode_session(session))) return failed("cannot write", temporary);
  // The data first, then the name: a rename that reached the disk before the data would leave
  // an empty file under the old name after a power cut.
  if (::fsync(fd.get()) != 0) return failed("cannot sync", temporary);
  if (::close(fd.release()) != 0) return failed("cannot close", temporary);
  if (::rename(temporary.c_str(), path_.c_str()) != 0) return failed("cannot rename to", path_);
  // The rename itself: until the folder is synced, a power cut may bring the old file back.
  const std::string folder_path = folder_of(path_);
  Fd folder(::open(folder_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (folder.get() < 0) return failed("cannot open the folder", folder_path);
  if (::fsync(folder.get()) != 0) return failed("cannot sync the folder", folder_path);
  ++writes_;
  return {};
}

}  // namespace kite::sdk
