// Sends `kite send`'s messages through the admin API: to one device with
// POST /v1/devices/{id}/messages, to a list, a group or everyone with POST /v1/messages, whose
// batch form ("messages": [...]) carries repeated messages in few requests. It paces messages
// --interval apart, reports every answer, and decides whether to go on after a refusal.
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/api_client.h"
#include "common/exit_code.h"
#include "send/send_report.h"

namespace kite::cli {

struct SendTarget {
  std::string device;                // one device (POST /v1/devices/{id}/messages)
  std::vector<std::string> devices;  // or a list,
  std::string group;                 // or a group,
  bool all = false;                  // or every online device (POST /v1/messages)
};

struct SendSettings {
  nlohmann::json fields = nlohmann::json::object();  // qos, ttl_ms, topic, key, content_type
  std::chrono::milliseconds interval{0};             // between two messages
  bool keep_going = false;  // after a refused request, go on with the next message (stdin)
};

class Sender {
 public:
  Sender(ApiClient& api, SendReport& report, SendTarget target, SendSettings settings);

  // Sends `copies` messages with this payload; false when kite must stop (see exit_code()).
  bool send(std::string_view payload, std::uint64_t copies);

  // kExitOk, kExitFailed (a refusal, or a target that did not take a message) or
  // kExitUnreachable.
  ExitCode exit_code() const;

 private:
  bool send_to_device(std::string_view payload);
  bool send_batch(std::string_view payload, std::uint64_t copies);
  std::uint64_t batch_size(std::string_view payload) const;
  bool refused(const ApiAnswer& answer);  // reports it; false when kite must stop
  void wait_for_turn();

  ApiClient& api_;
  SendReport& report_;
  SendTarget target_;
  SendSettings settings_;
  std::uint64_t sent_ = 0;        // messages handed to the API so far (numbers the next one)
  bool batches_refused_ = false;  // the server refused a batch: one message per request now
  ExitCode worst_ = kExitOk;
  std::chrono::steady_clock::time_point last_send_{};
};

}  // namespace kite::cli
