// Where the bytes of a capture come from: a file, stdin, or memory (tests and fuzzing). The pcap
// reader pulls from it record by record, so a file of any size is read with the memory of one
// record.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <span>
#include <string>

namespace kite::capture {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Fills `out` as far as the source goes: fewer bytes than asked only at its end (or on a read
  // error, which error() then describes).
  virtual std::size_t read(std::span<std::uint8_t> out) = 0;
  // Why the last read stopped short, if that was not the end of the data; empty otherwise.
  virtual std::string error() const { return {}; }
};

class MemorySource final : public ByteSource {
 public:
  // The bytes must outlive the source.
  explicit MemorySource(std::span<const std::uint8_t> bytes) : rest_(bytes) {}
  std::size_t read(std::span<std::uint8_t> out) override;

 private:
  std::span<const std::uint8_t> rest_;
};

class FileSource final : public ByteSource {
 public:
  // "-" is stdin. Returns null, with `error` saying why, when the file cannot be opened.
  static std::unique_ptr<FileSource> open(const std::string& path, std::string& error);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::size_t read(std::span<std::uint8_t> out) override;
  std::string error() const override { return error_; }

 private:
  FileSource(std::FILE* file, bool owned) : file_(file), owned_(owned) {}

  std::FILE* file_;
  bool owned_;  // false for stdin, which is not ours to close
  std::string error_;
};

}  // namespace kite::capture
