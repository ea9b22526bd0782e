#include "api/event_query.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <string_view>

#include "api/api_helpers.h"
#include "core/group_directory.h"
#include "kite/protocol/device_id.h"

namespace kite::server::api {

// Consumer group and member names: what fits a URL path segment and a log line unquoted.
bool valid_consumer_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

namespace {
bool parse_u64(std::string_view text, std::uint64_t& value);
}  // namespace

bool parse_event_id(std::string_view text, std::uint64_t& id) {
  return parse_u64(text, id);
}

namespace {

bool parse_u64(std::string_view text, std::uint64_t& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return !text.empty() && error == std::errc{} && end == text.data() + text.size();
}

// "250ms", "30s", "2m" or "30" (seconds) as milliseconds.
bool parse_duration_ms(std::string_view text, std::uint64_t& ms) {
  std::uint64_t scale = 1000;
  if (text.ends_with("ms")) {
    scale = 1;
    text.remove_suffix(2);
  } else if (text.ends_with('s')) {
    text.remove_suffix(1);
  } else if (text.ends_with('m')) {
    scale = 60'000;
    text.remove_suffix(1);
  }
  std::uint64_t value = 0;
  if (!parse_u64(text, value) || value > EventQuery::kMaxWaitMs) return false;
  ms = value * scale;
  return ms <= EventQuery::kMaxWaitMs;
}

// Calls add(item) for each comma-separated item of every `name` parameter; stops at the first
// problem add() reports.
template <typename Add>
std::string each_item(const http::HttpRequest& request, std::string_view name, Add add) {
  for (const auto& [key, value] : request.query) {
    if (key != name) continue;
    std::string_view rest = value;
    while (true) {
      const std::size_t comma = rest.find(',');
      if (auto problem = add(rest.substr(0, comma)); !problem.empty()) return problem;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return {};
}

std::string parse_consumer(const http::HttpRequest& request, EventQuery& query) {
  const std::string* group = request.query_param("consumer_group");
  const std::string* member = request.query_param("member");
  const std::string* ack = request.query_param("ack");
  if (group == nullptr) {
    if (member != nullptr || ack != nullptr)
      return "\"member\" and \"ack\" belong to a consumer group: add consumer_group=NAME";
    return {};
  }
  if (!valid_consumer_name(*group) || member == nullptr || !valid_consumer_name(*member))
    return "a consumer group reader names its group and itself: consumer_group=NAME&member=NAME, "
           "each 1-64 of A-Z a-z 0-9 . _ -";
  query.consumer_group = *group;
  query.member = *member;
  if (ack != nullptr) {
    std::uint64_t id = 0;
    if (!parse_u64(*ack, id))
      return "\"ack\" is the id of the last event handled, a decimal number";
    query.ack = id;
  }
  return {};
}

}  // namespace

std::string parse_event_query(const http::HttpRequest& request, EventQuery& query) {
  std::uint8_t types = 0;
  auto problem = each_item(request, "type", [&](std::string_view name) -> std::string {
    auto type = events::parse_type(name);
    if (!type)
      return fmt::format(
          "unknown event type \"{}\": the types are uplink, connect, disconnect, receipt, "
          "undelivered, expired and dropped",
          name.substr(0, 64));
    types |= static_cast<std::uint8_t>(1u << static_cast<unsigned>(*type));
    return {};
  });
  if (!problem.empty()) return problem;
  if (types != 0) query.types = types;

  problem = each_item(request, "device", [&](std::string_view id) -> std::string {
    if (!valid_device_id(id))
      return std::string("every device id: ") + std::string(protocol::kDeviceIdRule);
    if (query.devices.size() == EventQuery::kMaxDevices)
      return fmt::format("at most {} devices per filter", EventQuery::kMaxDevices);
    query.devices.emplace_back(id);
    return {};
  });
  if (!problem.empty()) return problem;
  std::sort(query.devices.begin(), query.devices.end());
  query.devices.erase(std::unique(query.devices.begin(), query.devices.end()), query.devices.end());

  problem = each_item(request, "group", [&](std::string_view group) -> std::string {
    if (!GroupDirectory::valid_name(group))
      return "a group name is 1-128 bytes without control characters or '/'";
    if (query.groups.size() == EventQuery::kMaxGroups)
      return fmt::format("at most {} groups per filter", EventQuery::kMaxGroups);
    query.groups.emplace_back(group);
    return {};
  });
  if (!problem.empty()) return problem;

  const std::string* after = request.header("last-event-id");
  if (after == nullptr) after = request.query_param("after");
  if (after != nullptr) {
    std::uint64_t id = 0;
    if (!parse_u64(*after, id))
      return "the event id to resume after (Last-Event-ID or \"after\") is a decimal number";
    query.after = id;
  }
  if (const std::string* wait = request.query_param("wait")) {
    std::uint64_t ms = 0;
    if (!parse_duration_ms(*wait, ms))
      return "\"wait\" is a duration up to 5 minutes: 500ms, 30s, 2m, or seconds";
    query.wait_ms = ms;
  }
  problem = parse_consumer(request, query);
  if (!problem.empty()) return problem;
  if (const std::string* limit = request.query_param("limit")) {
    std::uint64_t value = 0;
    if (!parse_u64(*limit, value) || value == 0 || value > EventQuery::kMaxLimit)
      return fmt::format("\"limit\" is 1 to {}", EventQuery::kMaxLimit);
    query.limit = value;
  }
  return {};
}

}  // namespace kite::server::api
