// What went wrong in a bench run, counted by kind: one tally per run (per process with
// --processes, merged by the parent), printed as one line per kind and as the report's
// "errors" object. The kinds are the strings error_kind.h makes ("connect_refused",
// "refused:AuthFailed", "error:NotFound"...): a map keeps any kind a newer kited brings, sorted
// by name so that reports compare line by line.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace kite::bench {

class ErrorTally {
 public:
  void add(const std::string& kind, std::uint64_t count = 1);
  void merge(const ErrorTally& other);

  std::uint64_t total() const;
  bool empty() const { return counts_.empty(); }
  std::uint64_t count(const std::string& kind) const;
  const std::map<std::string, std::uint64_t>& by_kind() const { return counts_; }

  // {"kind": count, ...}; {} when nothing went wrong.
  nlohmann::json json() const;
  // The inverse of json(); counts that are not unsigned numbers are skipped.
  static ErrorTally from_json(const nlohmann::json& object);
  // "<indent>errors: none", or "<indent>errors: N" then "<indent>  <kind> <count>" per kind,
  // each line ending in '\n'.
  std::string text(const std::string& indent) const;

 private:
  std::map<std::string, std::uint64_t> counts_;
};

}  // namespace kite::bench
