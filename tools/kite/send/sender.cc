#include "send/sender.h"

#include <algorithm>
#include <cstdio>
#include <thread>

#include "common/payload.h"

namespace kite::cli {
namespace {

// The API's batch limits (docs/api.md, POST /v1/messages): 256 messages, 1 MiB of payloads, a
// body below admin.max_body_bytes, at most 1,000,000 per-device results.
constexpr std::uint64_t kMaxBatch = 256;
constexpr std::uint64_t kMaxBatchBodyBytes = 768 * 1024;
constexpr std::uint64_t kMaxResults = 1'000'000;

}  // namespace

Sender::Sender(ApiClient& api, SendReport& report, SendTarget target, SendSettings settings)
    : api_(api), report_(report), target_(std::move(target)), settings_(std::move(settings)) {}

ExitCode Sender::exit_code() const {
  if (worst_ != kExitOk) return worst_;
  return report_.all_delivered() ? kExitOk : kExitFailed;
}

void Sender::wait_for_turn() {
  if (settings_.interval.count() > 0 && sent_ > 0)
    std::this_thread::sleep_until(last_send_ + settings_.interval);
  last_send_ = std::chrono::steady_clock::now();
}

bool Sender::send(std::string_view payload, std::uint64_t copies) {
  const bool one_device = !target_.device.empty();
  while (copies > 0) {
    std::uint64_t count = 1;
    if (!one_device && settings_.interval.count() == 0 && !batches_refused_)
      count = std::min(copies, batch_size(payload));
    wait_for_turn();
    if (!(one_device ? send_to_device(payload) : send_batch(payload, count))) return false;
    copies -= count;
  }
  return true;
}

bool Sender::send_to_device(std::string_view payload) {
  nlohmann::json body = settings_.fields;
  set_payload(body, payload);
  const std::uint64_t number = ++sent_;
  ApiAnswer answer =
      api_.call("POST", "/v1/devices/" + path_segment(target_.device) + "/messages", body);
  if (!answer.ok()) return refused(answer);
  report_.device_answer(number, target_.device, std::move(answer.body));
  return true;
}

std::uint64_t Sender::batch_size(std::string_view payload) const {
  nlohmann::json one = settings_.fields;
  set_payload(one, payload);
  const std::uint64_t bytes =
      one.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() + 1;
  std::uint64_t size = std::min(kMaxBatch, std::max<std::uint64_t>(1, kMaxBatchBodyBytes / bytes));
  if (!target_.devices.empty())
    size = std::min<std::uint64_t>(size,
                                   std::max<std::size_t>(1, kMaxResults / target_.devices.size()));
  return size;
}

bool Sender::send_batch(std::string_view payload, std::uint64_t count) {
  nlohmann::json message = settings_.fields;
  set_payload(message, payload);
  nlohmann::json body = nlohmann::json::object();
  if (!target_.devices.empty()) body["devices"] = target_.devices;
  if (!target_.group.empty()) body["group"] = target_.group;
  if (target_.all) body["all"] = true;
  if (count == 1) {
    body.update(message);
  } else {
    body["messages"] = nlohmann::json::array();
    for (std::uint64_t i = 0; i < count; ++i) body["messages"].push_back(message);
  }
  const std::uint64_t first = sent_ + 1;
  sent_ += count;
  ApiAnswer answer = api_.call("POST", "/v1/messages", body);
  if (answer.status == 400 && count > 1) {
    // A batch can pass a limit a single message does not (deliveries per call for a large
    // group): send these one by one, and the rest of the run too.
    batches_refused_ = true;
    sent_ = first - 1;
    return send(payload, count);
  }
  if (!answer.ok()) return refused(answer);
  report_.fanout_answer(first, answer.body);
  return true;
}

bool Sender::refused(const ApiAnswer& answer) {
  std::fprintf(stderr, "kite send: %s\n", describe_failure(answer, api_.url()).c_str());
  report_.problem(answer.body);
  const ExitCode code = exit_code_for(answer);
  worst_ = std::max(worst_, code);
  return code != kExitUnreachable && settings_.keep_going;
}

}  // namespace kite::cli
