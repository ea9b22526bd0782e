#include "bench/http_sender.h"

#include <fmt/format.h>

#include <cstring>
#include <random>

#include "bench/common.h"
#include "common/admin_http.h"
#include "kite/protocol/base64url.h"

namespace kite::bench {

void HttpSender::start() {
  for (std::uint32_t i = 0; i < options_.http_senders; ++i)
    threads_.emplace_back([this, i] { run(i); });
}

void HttpSender::stop() {
  stopping_ = true;
  room_.notify_all();
  for (auto& thread : threads_)
    if (thread.joinable()) thread.join();
  threads_.clear();
}

void HttpSender::completed() {
  {
    std::lock_guard lock(mutex_);
    if (in_flight_ > 0) --in_flight_;
  }
  room_.notify_one();
}

std::string HttpSender::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

std::string HttpSender::error_kind() const {
  std::lock_guard lock(mutex_);
  return error_status_ == 0 ? "http:unreachable" : fmt::format("http:{}", error_status_);
}

void HttpSender::fail(std::string error, int status) {
  {
    std::lock_guard lock(mutex_);
    if (failed_) return;
    error_ = std::move(error);
    error_status_ = status;
  }
  failed_ = true;
}

// Takes one place in the window, waiting for it; false when stopping.
bool HttpSender::wait_for_room() {
  std::unique_lock lock(mutex_);
  room_.wait(lock, [this] { return stopping_ || in_flight_ < options_.window; });
  if (stopping_) return false;
  ++in_flight_;
  return true;
}

void HttpSender::run(std::uint32_t thread_index) {
  cli::AdminHttp http(options_.api, options_.admin_token);
  std::mt19937 rng(42 + options_.child_index * 1'000 + thread_index);
  std::vector<std::uint8_t> payload(std::max<std::uint32_t>(options_.payload, 8), 0x5a);
  while (!stopping_ && !failed_ && wait_for_room()) {
    const std::int64_t stamp = steady_ns();
    std::memcpy(payload.data(), &stamp, sizeof stamp);
    const std::string& device = device_ids_[rng() % device_ids_.size()];
    const cli::HttpAnswer answer = http.request(
        "POST", "/v1/devices/" + device + "/messages",
        fmt::format(R"({{"payload_base64":"{}"}})", protocol::base64url_encode(payload)));
    if (answer.status != 202) {
      completed();  // it will not arrive
      return fail(fmt::format("POST /v1/devices/{}/messages answered {}: {}", device, answer.status,
                              answer.body),
                  answer.status);
    }
    ++sent_;
  }
}

}  // namespace kite::bench
