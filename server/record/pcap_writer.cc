#include "record/pcap_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <string_view>
#include <tuple>

#include "common/log.h"

namespace kite::server::record {
namespace {

constexpr std::size_t kStampChars = 15;  // yyyymmddThhmmss
constexpr int kMaxNameAttempts = 1000;   // names taken already (a restart in the same second)

// The (stamp, n) of one of `worker`'s file names, or false for any other name.
bool parse_file_name(std::string_view name, std::uint32_t worker, std::string_view& stamp,
                     std::uint64_t& n) {
  const std::string middle = fmt::format("-w{}-", worker);
  if (!name.starts_with("kite-") || !name.ends_with(".pcap")) return false;
  name.remove_prefix(5);
  name.remove_suffix(5);
  if (name.size() <= kStampChars + middle.size()) return false;
  stamp = name.substr(0, kStampChars);
  if (stamp[8] != 'T' || name.substr(kStampChars, middle.size()) != middle) return false;
  const std::string_view digits = name.substr(kStampChars + middle.size());
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
  return error == std::errc{} && end == digits.data() + digits.size();
}

}  // namespace

std::string recording_file_name(std::int64_t time_ns, std::uint32_t worker, std::uint64_t n) {
  const std::time_t seconds = static_cast<std::time_t>(time_ns / 1'000'000'000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%S", &utc);
  return fmt::format("kite-{}-w{}-{}.pcap", stamp, worker, n);
}

PcapWriter::PcapWriter(WriterOptions options) : options_(std::move(options)) {}

PcapWriter::~PcapWriter() {
  close();
}

bool PcapWriter::fail(std::string what) {
  if (error_.empty()) error_ = std::move(what);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  current_.clear();
  std::vector<std::uint8_t>().swap(buffer_);
  return false;
}

bool PcapWriter::write(std::int64_t time_ns, const EventHeader& header,
                       std::span<const std::uint8_t> payload) {
  if (failed()) return false;
  const std::size_t size = record_size(payload.size());
  if (fd_ >= 0 && file_events_ > 0 && file_bytes_ + size > options_.max_file_bytes && !close())
    return false;
  if (fd_ < 0 && !open_file(time_ns)) return false;
  if (buffer_.size() + size > kWriteBufferBytes && !flush()) return false;
  append_record_headers(buffer_, time_ns, header, payload.size());
  if (buffer_.size() + payload.size() > kWriteBufferBytes) {
    // Bigger than the buffer: the headers go out, then the payload straight from the caller.
    if (!flush() || !write_out(payload)) return false;
  } else {
    buffer_.insert(buffer_.end(), payload.begin(), payload.end());
  }
  file_bytes_ += size;
  ++file_events_;
  return true;
}

bool PcapWriter::flush() {
  if (failed()) return false;
  if (buffer_.empty()) return true;
  const bool ok = write_out(buffer_);
  buffer_.clear();
  return ok;
}

bool PcapWriter::close() {
  if (fd_ < 0) return !failed();
  if (!flush()) return false;
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0)
    return fail(fmt::format("cannot close {}: {}", current_.string(), std::strerror(errno)));
  current_.clear();
  file_bytes_ = 0;
  file_events_ = 0;
  std::vector<std::uint8_t>().swap(buffer_);  // a writer with no file holds no buffer
  return true;
}

bool PcapWriter::write_out(std::span<const std::uint8_t> bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      return fail(fmt::format("cannot write {}: {}", current_.string(),
                              std::strerror(n < 0 ? errno : EIO)));
    bytes = bytes.subspan(static_cast<std::size_t>(n));
  }
  return true;
}

bool PcapWriter::open_file(std::int64_t time_ns) {
  if (!looked_for_files_) {
    std::error_code error;
    std::filesystem::create_directories(options_.directory, error);
    if (error)
      return fail(fmt::format("cannot create the directory {}: {}", options_.directory.string(),
                              error.message()));
    find_earlier_files();
    looked_for_files_ = true;
  }
  for (int attempt = 0; attempt < kMaxNameAttempts; ++attempt) {
    auto path = options_.directory / recording_file_name(time_ns, options_.worker, next_n_++);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0)
      return fail(fmt::format("cannot create {}: {}", path.string(), std::strerror(errno)));
    fd_ = fd;
    current_ = std::move(path);
    files_.push_back(current_);
    prune();
    // Written at once, not buffered: a file that exists is a valid (maybe empty) recording.
    const auto header = file_header();
    if (!write_out(header)) return false;
    buffer_.reserve(kWriteBufferBytes);
    file_bytes_ = header.size();
    file_events_ = 0;
    return true;
  }
  return fail(fmt::format("cannot create a file in {}: {} names taken", options_.directory.string(),
                          kMaxNameAttempts));
}

// This worker's files from before (an earlier run, or recording switched off and on), oldest
// first, so that max_files counts them.
void PcapWriter::find_earlier_files() {
  std::vector<std::tuple<std::string, std::uint64_t, std::filesystem::path>> found;
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(options_.directory, error)) {
    const std::string name = entry.path().filename().string();
    std::string_view stamp;
    std::uint64_t n = 0;
    if (parse_file_name(name, options_.worker, stamp, n) && entry.is_regular_file(error))
      found.emplace_back(std::string(stamp), n, entry.path());
  }
  std::sort(found.begin(), found.end());
  for (auto& [stamp, n, path] : found) {
    // n goes on from the highest found: a file started now sorts after them even within the same
    // second, so the next pruning still takes the oldest.
    next_n_ = std::max(next_n_, n + 1);
    files_.push_back(std::move(path));
  }
}

void PcapWriter::prune() {
  while (files_.size() > options_.max_files) {
    std::error_code error;
    std::filesystem::remove(files_.front(), error);
    if (error)  // not fatal: recording goes on, the file stays for the operator to remove
      KITE_LOG(warn, "record.delete_failed",
               {{"file", files_.front().string()}, {"error", error.message()}});
    files_.pop_front();
  }
}

}  // namespace kite::server::record
