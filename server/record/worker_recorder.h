// Recording on one worker thread: the settings it was last given, its file writer, and what it
// counts for /metrics. Connections on the worker write through it (connection_recorder.h).
//
// Rules it keeps:
//  - loop thread only, except counters(), which any thread may read (metrics/counter.h);
//  - a write error is logged once with its file and reason, counted, and switches recording off
//    for this worker only: connections go on unrecorded, other workers keep recording; the next
//    apply() that enables recording tries again with a new file;
//  - buffered events reach the file at the latest about kFlushIntervalMs after they were written
//    (tick()), at every rotation, when recording goes off and at close().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "metrics/counter.h"
#include "record/pcap_writer.h"
#include "record/record_settings.h"

namespace kite::server::record {

inline constexpr std::int64_t kFlushIntervalMs = 1000;

struct RecordCounters {
  metrics::LocalCounter frames;  // frame events written
  metrics::LocalCounter bytes;   // their frames' bytes (header, body, padding)
  metrics::LocalCounter errors;  // write errors (each switched the worker's recording off)
};

// RecordCounters read and added up over workers (metrics, GET /v1/recording).
struct RecordTotals {
  std::uint64_t frames = 0, bytes = 0, errors = 0;
  void add(const RecordCounters& c) {
    frames += c.frames.value();
    bytes += c.bytes.value();
    errors += c.errors.value();
  }
};

class WorkerRecorder {
 public:
  // Whether a connection is recorded: yes, no, or not known until its device id is (a device list
  // is set and the hello has not come yet).
  enum class Choice : std::uint8_t { record, skip, wait };

  WorkerRecorder(std::uint32_t worker, std::shared_ptr<const RecordSettings> settings);
  ~WorkerRecorder();
  WorkerRecorder(const WorkerRecorder&) = delete;
  WorkerRecorder& operator=(const WorkerRecorder&) = delete;

  // New settings. Recording off, or another directory or file limits: the current file is
  // closed (the next event starts a new one).
  void apply(std::shared_ptr<const RecordSettings> settings);
  // Events are written: recording is on, and no write failed since it was switched on.
  bool active() const { return active_; }
  // For a connection of `device` ("" while unknown).
  Choice choose(std::string_view device) const;
  // Writes one event; false when recording is off for this worker (already, or since this write
  // failed).
  bool write(std::int64_t time_ns, const EventHeader& header,
             std::span<const std::uint8_t> payload);
  // The worker's periodic tick (`now_ms` on its loop clock): flushes buffered events that have
  // waited kFlushIntervalMs.
  void tick(std::int64_t now_ms);
  // Flushes and closes the file (at shutdown).
  void close();

  std::uint32_t worker() const { return worker_; }
  const RecordSettings& settings() const { return *settings_; }
  const RecordCounters& counters() const { return counters_; }
  // The writer, while recording is on and a file was written (tests look at its files).
  const PcapWriter* writer() const { return writer_ ? &*writer_ : nullptr; }

 private:
  void report_failure();

  std::uint32_t worker_;
  std::shared_ptr<const RecordSettings> settings_;
  std::optional<PcapWriter> writer_;
  bool active_ = false;
  std::int64_t last_flush_ms_ = 0;
  RecordCounters counters_;
};

}  // namespace kite::server::record
