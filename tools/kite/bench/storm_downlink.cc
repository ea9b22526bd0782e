#include "bench/storm_downlink.h"

#include <fmt/format.h>

#include <chrono>

#include "common/admin_http.h"

namespace kite::bench {

StormDownlink::StormDownlink(const BenchOptions& options, std::vector<std::string> device_ids)
    : options_(options), device_ids_(std::move(device_ids)), accepted_(device_ids_.size()) {}

void StormDownlink::start() {
  if (options_.down_rate <= 0 || device_ids_.empty()) return;
  thread_ = std::thread([this] { run(); });
}

void StormDownlink::stop() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void StormDownlink::run() {
  using Clock = std::chrono::steady_clock;
  cli::AdminHttp http(options_.api, options_.admin_token);
  // Longer than a loaded kited takes to answer, shorter than a storm: a request that hangs on a
  // dying kited is written off as unconfirmed and the next one goes to the new one.
  http.set_timeout_ms(2'000);
  const auto gap = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(1.0 / options_.down_rate));
  std::vector<std::uint32_t> next(device_ids_.size(), 1);  // each device's next number
  auto due = Clock::now();
  for (std::size_t turn = 0; !stopping_; ++turn) {
    std::this_thread::sleep_until(due);
    due += gap;
    // Behind by more than a second (kited was away): start afresh rather than send a burst.
    if (Clock::now() - due > std::chrono::seconds(1)) due = Clock::now();
    const std::size_t device = turn % device_ids_.size();
    const std::uint32_t n = next[device]++;
    const cli::HttpAnswer answer =
        http.request("POST", "/v1/devices/" + device_ids_[device] + "/messages",
                     fmt::format(R"({{"payload":"{}"}})", n));
    if (answer.status == 202) {
      auto& accepted = accepted_[device];
      if (accepted.size() <= n) accepted.resize(n + 1);
      accepted[n] = true;
      ++accepted_count_;
    } else if (answer.status == 0) {
      // "cannot connect": nothing left this process; anything else may have reached kited.
      if (answer.body.starts_with("cannot connect"))
        ++unreachable_;
      else
        ++unconfirmed_;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      due = Clock::now();
    } else {
      ++refused_;  // 503 while draining, 429...: kited said no; nothing to deliver
    }
  }
}

}  // namespace kite::bench
