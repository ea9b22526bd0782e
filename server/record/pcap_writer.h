// One worker's recording files (docs/recording.md, "Files and rotation"): events appended to
// kite-<UTC yyyymmddThhmmss>-w<worker>-<n>.pcap in one directory, through a 64 KiB buffer, the
// next file started when the next event would take the current one past max_file_bytes, and the
// oldest of this worker's files deleted beyond max_files (those of earlier runs included, so a
// kited restarted every day keeps its disk use bounded too).
//
// Rules it keeps:
//  - one writer per worker thread: no locks, and names that differ by worker never collide;
//    n goes on from the highest of the worker's files found, and a name that exists already is
//    never overwritten (O_EXCL; the next n is taken);
//  - a file always holds at least one event, so an event larger than max_file_bytes still fits;
//  - the directory is created with the first file only: one that disappears later is an error,
//    not silently made again somewhere an operator no longer looks;
//  - the first write error is final: the writer keeps its words (error()) and writes nothing
//    more; the owner decides what to do (worker_recorder.h turns recording off for the worker);
//  - files are created mode 0600: they hold payloads and handshakes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "record/pcap_format.h"

namespace kite::server::record {

struct WriterOptions {
  std::filesystem::path directory;
  std::uint32_t worker = 0;
  std::uint64_t max_file_bytes = std::uint64_t{64} << 20;
  std::uint32_t max_files = 16;
};

inline constexpr std::size_t kWriteBufferBytes = 64 * 1024;

// "kite-20250102T030405-w0-1.pcap" for an event at `time_ns` (UTC).
std::string recording_file_name(std::int64_t time_ns, std::uint32_t worker, std::uint64_t n);

class PcapWriter {
 public:
  explicit PcapWriter(WriterOptions options);
  ~PcapWriter();  // closes; an error then goes unreported: close() first to see it
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;

  // Appends one event with its payload, opening or rotating the file first when needed. False on
  // a write error (and ever after).
  bool write(std::int64_t time_ns, const EventHeader& header,
             std::span<const std::uint8_t> payload);
  // Hands the buffered bytes to the file.
  bool flush();
  // Flushes and closes the current file; the next write starts a new one.
  bool close();

  bool failed() const { return !error_.empty(); }
  // What failed and where, e.g. "cannot write .../kite-...pcap: No space left on device".
  const std::string& error() const { return error_; }
  bool has_buffered() const { return !buffer_.empty(); }
  // The file being written; empty when none is open.
  const std::filesystem::path& current() const { return current_; }
  // This worker's files in the directory, oldest first (the current one last).
  const std::deque<std::filesystem::path>& files() const { return files_; }
  const WriterOptions& options() const { return options_; }

 private:
  bool open_file(std::int64_t time_ns);
  void find_earlier_files();
  void prune();
  bool write_out(std::span<const std::uint8_t> bytes);
  bool fail(std::string what);

  WriterOptions options_;
  int fd_ = -1;
  std::filesystem::path current_;
  std::uint64_t file_bytes_ = 0;  // written and buffered
  std::uint64_t file_events_ = 0;
  std::uint64_t next_n_ = 1;
  bool looked_for_files_ = false;
  std::vector<std::uint8_t> buffer_;
  std::deque<std::filesystem::path> files_;
  std::string error_;
};

}  // namespace kite::server::record
