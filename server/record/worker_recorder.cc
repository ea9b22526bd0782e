#include "record/worker_recorder.h"

#include "common/log.h"

namespace kite::server::record {
namespace {

bool same_files(const RecordSettings& a, const RecordSettings& b) {
  return a.directory == b.directory && a.max_file_bytes == b.max_file_bytes &&
         a.max_files == b.max_files;
}

}  // namespace

WorkerRecorder::WorkerRecorder(std::uint32_t worker, std::shared_ptr<const RecordSettings> settings)
    : worker_(worker) {
  apply(std::move(settings));
}

WorkerRecorder::~WorkerRecorder() {
  close();
}

void WorkerRecorder::apply(std::shared_ptr<const RecordSettings> settings) {
  if (!settings) settings = std::make_shared<const RecordSettings>();
  if (!settings->enabled || (settings_ && !same_files(*settings_, *settings))) close();
  settings_ = std::move(settings);
  active_ = settings_->enabled;
}

WorkerRecorder::Choice WorkerRecorder::choose(std::string_view device) const {
  if (!active_) return Choice::skip;
  if (settings_->every_connection()) return Choice::record;
  if (device.empty()) return Choice::wait;
  return settings_->chooses(device) ? Choice::record : Choice::skip;
}

bool WorkerRecorder::write(std::int64_t time_ns, const EventHeader& header,
                           std::span<const std::uint8_t> payload) {
  if (!active_) return false;
  if (!writer_)
    writer_.emplace(WriterOptions{settings_->directory, worker_, settings_->max_file_bytes,
                                  settings_->max_files});
  if (!writer_->write(time_ns, header, payload)) {
    report_failure();
    return false;
  }
  if (header.kind == EventKind::frame) {
    counters_.frames.add();
    counters_.bytes.add(payload.size());
  }
  return true;
}

void WorkerRecorder::tick(std::int64_t now_ms) {
  if (now_ms - last_flush_ms_ < kFlushIntervalMs) return;
  last_flush_ms_ = now_ms;
  if (writer_ && writer_->has_buffered() && !writer_->flush()) report_failure();
}

void WorkerRecorder::close() {
  if (writer_ && !writer_->close()) report_failure();
  writer_.reset();
}

void WorkerRecorder::report_failure() {
  counters_.errors.add();
  KITE_LOG(error, "record.write_failed",
           {{"worker", worker_},
            {"error", writer_->error()},
            {"detail", "recording is off on this worker until it is switched on again"}});
  writer_.reset();
  active_ = false;
}

}  // namespace kite::server::record
