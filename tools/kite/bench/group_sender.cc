#include "bench/group_sender.h"

#include <fmt/format.h>

#include <chrono>
#include <cstring>

#include "bench/common.h"
#include "common/admin_http.h"
#include "kite/protocol/base64url.h"

namespace kite::bench {
namespace {

// A message not completed this long after the window filled is given up (a member dropped it
// or left): the window moves on, and the report counts it as incomplete.
constexpr auto kGiveUp = std::chrono::seconds(5);

}  // namespace

void GroupSender::start(std::vector<std::string> members) {
  thread_ =
      std::thread([this, members = std::move(members)]() mutable { run(std::move(members)); });
}

void GroupSender::stop() {
  stopping_ = true;
  room_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GroupSender::release() {
  {
    std::lock_guard lock(mutex_);
    released_ = true;
  }
  room_.notify_all();
}

void GroupSender::completed() {
  {
    std::lock_guard lock(mutex_);
    ++completed_;
  }
  room_.notify_one();
}

std::string GroupSender::error() const {
  std::lock_guard lock(mutex_);
  return error_;
}

std::string GroupSender::error_kind() const {
  std::lock_guard lock(mutex_);
  return error_status_ == 0 ? "http:unreachable" : fmt::format("http:{}", error_status_);
}

void GroupSender::fail(std::string error, int status) {
  {
    std::lock_guard lock(mutex_);
    error_ = std::move(error);
    error_status_ = status;
  }
  finished_ = true;
}

void GroupSender::run(std::vector<std::string> members) {
  if (!join(members)) return;
  joined_ = true;
  if (options_.messages != 0) {  // a counted run is measured from its first message
    std::unique_lock lock(mutex_);
    room_.wait(lock, [this] { return released_ || stopping_; });
  }
  cli::AdminHttp http(options_.api, options_.admin_token);
  while (!stopping_) {
    if (options_.messages != 0 && sent_ >= options_.messages) break;
    if (!wait_for_room()) break;
    const cli::HttpAnswer answer = http.request("POST", "/v1/messages", body(sent_));
    ++requests_;
    if (answer.status != 200)
      return fail(fmt::format("POST /v1/messages answered {}: {}", answer.status, answer.body),
                  answer.status);
    sent_ += options_.burst;
  }
  finished_ = true;
}

bool GroupSender::join(const std::vector<std::string>& members) {
  if (!options_.join) return true;
  cli::AdminHttp http(options_.api, options_.admin_token);
  for (std::size_t i = 0; i < members.size() && !stopping_; ++i) {
    const auto answer =
        http.request("PUT", "/v1/groups/" + options_.group + "/members/" + members[i]);
    if (answer.status != 200 && answer.status != 201) {
      fail(fmt::format("PUT /v1/groups/{}/members/{} answered {}: {}", options_.group, members[i],
                       answer.status, answer.body),
           answer.status);
      return false;
    }
  }
  return !stopping_;
}

// Waits until `burst` more messages fit in the window; false when stopping.
bool GroupSender::wait_for_room() {
  std::unique_lock lock(mutex_);
  std::uint64_t given_up = 0;
  const auto in_flight = [&] {
    const std::uint64_t done = completed_ + given_up;
    return sent_ > done ? sent_ - done : 0;
  };
  while (!stopping_ && in_flight() + options_.burst > options_.window) {
    const std::uint64_t before = completed_;
    if (!room_.wait_for(lock, kGiveUp, [&] { return stopping_ || completed_ != before; }))
      given_up += in_flight();  // nothing completed for kGiveUp: stop waiting for those
  }
  // Completions of given-up messages that arrive later only make the window briefly larger.
  completed_ += given_up;
  given_up_ += given_up;
  return !stopping_;
}

// {"group":..,"report":"summary", the message or "messages":[..]}; payloads carry send time and
// index in their first 16 bytes.
std::string GroupSender::body(std::uint64_t first_index) {
  std::vector<std::uint8_t> payload(std::max<std::size_t>(options_.payload, kFanoutStampBytes),
                                    0x5a);
  const auto message = [&](std::uint64_t index) {
    const std::int64_t stamp = steady_ns();
    std::memcpy(payload.data(), &stamp, sizeof stamp);
    std::memcpy(payload.data() + sizeof stamp, &index, sizeof index);
    return fmt::format(R"("payload_base64":"{}","qos":{})", protocol::base64url_encode(payload),
                       options_.qos);
  };
  std::string text = fmt::format(R"({{"group":"{}","report":"{}",)", options_.group,
                                 options_.per_device_answer ? "results" : "summary");
  if (options_.burst == 1) return text + message(first_index) + "}";
  text += R"("messages":[)";
  for (std::uint32_t i = 0; i < options_.burst; ++i)
    text += (i ? ",{" : "{") + message(first_index + i) + "}";
  return text + "]}";
}

}  // namespace kite::bench
