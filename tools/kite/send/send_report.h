// What `kite send` prints: one line per target per message (device, status, seq and id, reason),
// or with --json each answer of the admin API as one JSON line. It also keeps the score that
// decides the exit code: a target that rejected, failed or dropped a message is a failure.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

namespace kite::cli {

class SendReport {
 public:
  // `numbered`: prefix each line with the message's number (many messages in one run).
  SendReport(bool json, bool numbered) : json_(json), numbered_(numbered) {}

  // The 202 answer of POST /v1/devices/{id}/messages for message `number`.
  void device_answer(std::uint64_t number, const std::string& device, nlohmann::json body);
  // The 200 answer of POST /v1/messages; its messages are numbered from `first`.
  void fanout_answer(std::uint64_t first, const nlohmann::json& body);
  // A refused request's problem details (--json only: the human line goes to stderr).
  void problem(const nlohmann::json& body);

  bool all_delivered() const { return undelivered_ == 0; }

 private:
  void target_line(std::uint64_t number, const std::string& device, const nlohmann::json& result);
  void print_json(const nlohmann::json& body) const;

  bool json_, numbered_;
  std::uint64_t undelivered_ = 0;  // targets that rejected, failed or dropped a message
};

}  // namespace kite::cli
