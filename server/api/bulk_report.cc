#include "api/bulk_report.h"

namespace kite::server::api {

using nlohmann::json;

void MessageReport::record(std::string_view device, Status status, json extra) {
  ++counts_[status];
  if (results_.size() == max_results_) {  // also true with max_results_ == 0: nothing kept
    omitted_ = omitted_ || max_results_ != 0;
    results_.clear();
    max_results_ = 0;
    return;
  }
  json result{{"device", device}, {"status", kNames[status]}};
  if (extra.is_object()) result.update(extra);
  results_.push_back(std::move(result));
}

json MessageReport::summary() const {
  json summary = json::object();
  for (std::size_t s = 0; s < kStatuses; ++s)
    if (counts_[s] != 0) summary[kNames[s]] = counts_[s];
  return summary;
}

json MessageReport::answer() const {
  json body{{"summary", summary()}};
  if (max_results_ != 0) body["results"] = results_;
  return body;
}

void MessageReport::add_counts_to(std::array<std::size_t, kStatuses>& totals) const {
  for (std::size_t s = 0; s < kStatuses; ++s) totals[s] += counts_[s];
}

json batch_answer(const std::vector<MessageReport>& reports) {
  json messages = json::array();
  std::array<std::size_t, MessageReport::kStatuses> totals{};
  for (const auto& report : reports) {
    messages.push_back(report.answer());
    report.add_counts_to(totals);
  }
  json summary = json::object();
  for (std::size_t s = 0; s < totals.size(); ++s)
    if (totals[s] != 0) summary[MessageReport::name(s)] = totals[s];
  return {{"messages", std::move(messages)}, {"summary", std::move(summary)}};
}

}  // namespace kite::server::api
