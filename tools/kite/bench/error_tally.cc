#include "bench/error_tally.h"

#include <fmt/format.h>

namespace kite::bench {

void ErrorTally::add(const std::string& kind, std::uint64_t count) {
  if (count != 0) counts_[kind] += count;
}

void ErrorTally::merge(const ErrorTally& other) {
  for (const auto& [kind, count] : other.counts_) add(kind, count);
}

std::uint64_t ErrorTally::total() const {
  std::uint64_t sum = 0;
  for (const auto& [kind, count] : counts_) sum += count;
  return sum;
}

std::uint64_t ErrorTally::count(const std::string& kind) const {
  auto found = counts_.find(kind);
  return found == counts_.end() ? 0 : found->second;
}

nlohmann::json ErrorTally::json() const {
  nlohmann::json object = nlohmann::json::object();
  for (const auto& [kind, count] : counts_) object[kind] = count;
  return object;
}

ErrorTally ErrorTally::from_json(const nlohmann::json& object) {
  ErrorTally tally;
  if (!object.is_object()) return tally;
  for (const auto& [kind, count] : object.items())
    if (count.is_number_unsigned()) tally.add(kind, count.get<std::uint64_t>());
  return tally;
}

std::string ErrorTally::text(const std::string& indent) const {
  if (counts_.empty()) return indent + "errors: none\n";
  std::string out = fmt::format("{}errors: {}\n", indent, total());
  for (const auto& [kind, count] : counts_) out += fmt::format("{}  {} {}\n", indent, kind, count);
  return out;
}

}  // namespace kite::bench
