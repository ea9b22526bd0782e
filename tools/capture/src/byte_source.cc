#include "kite/capture/byte_source.h"

#include <cerrno>
#include <cstring>

namespace kite::capture {

std::size_t MemorySource::read(std::span<std::uint8_t> out) {
  const std::size_t n = std::min(out.size(), rest_.size());
  if (n > 0) std::memcpy(out.data(), rest_.data(), n);
  rest_ = rest_.subspan(n);
  return n;
}

std::unique_ptr<FileSource> FileSource::open(const std::string& path, std::string& error) {
  if (path == "-") return std::unique_ptr<FileSource>(new FileSource(stdin, false));
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    error = "cannot open " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  return std::unique_ptr<FileSource>(new FileSource(file, true));
}

FileSource::~FileSource() {
  if (owned_) std::fclose(file_);
}

std::size_t FileSource::read(std::span<std::uint8_t> out) {
  const std::size_t n = std::fread(out.data(), 1, out.size(), file_);
  if (n < out.size() && std::ferror(file_))
    error_ = std::string("read error: ") + std::strerror(errno);
  return n;
}

}  // namespace kite::capture
