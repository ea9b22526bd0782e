// What a bulk send (POST /v1/messages) answers for each message: a result per device, unless only
// a summary was asked for or the list would be too long, and a count per status.
#pragma once

#include <nlohmann/json.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace kite::server::api {

class MessageReport {
 public:
  enum Status : std::uint8_t { Sent, Dropped, Queued, Rejected, Failed, kStatuses };

  // Keeps at most `max_results` per-device results (0: none); past that it keeps only the counts
  // and says so (`"results_omitted": true`): a group can grow while a send to it is under way.
  explicit MessageReport(std::size_t max_results) : max_results_(max_results) {}

  void record(std::string_view device, Status status, nlohmann::json extra = {});
  nlohmann::json summary() const;
  // {"results": [...], "summary": {...}}: without "results" when none were kept.
  nlohmann::json answer() const;
  bool omitted() const { return omitted_; }
  void add_counts_to(std::array<std::size_t, kStatuses>& totals) const;
  static const char* name(std::size_t status) { return kNames[status]; }

 private:
  static constexpr const char* kNames[kStatuses] = {"sent", "dropped", "queued", "rejected",
                                                    "failed"};
  std::size_t max_results_;
  bool omitted_ = false;
  nlohmann::json results_ = nlohmann::json::array();
  std::array<std::size_t, kStatuses> counts_{};
};

// The answer to a batch: {"messages": [each report's answer], "summary": totals}.
nlohmann::json batch_answer(const std::vector<MessageReport>& reports);

}  // namespace kite::server::api
