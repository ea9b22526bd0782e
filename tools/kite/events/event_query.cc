#include "events/event_query.h"

#include <fmt/format.h>

#include "common/api_client.h"

namespace kite::cli {

std::string events_path(const EventsSettings& settings) {
  std::string query;
  const auto add = [&](const char* name, const std::string& value) {
    query += query.empty() ? '?' : '&';
    query += name;
    query += '=';
    query += path_segment(value);
  };
  // One parameter per value: kited takes repeated parameters and comma lists alike, and a
  // repeated one needs no separator escaped.
  for (const auto& type : settings.types) add("type", type);
  for (const auto& device : settings.devices) add("device", device);
  for (const auto& group : settings.device_groups) add("group", group);
  // On every request, reconnects too: a member is known by these, not by its connection.
  if (!settings.consumer_group.empty()) {
    add("consumer_group", settings.consumer_group);
    add("member", settings.member);
  }
  return "/v1/events" + query;
}

std::string poll_path(const EventsSettings& settings, std::optional<std::uint64_t> after,
                      std::uint64_t wait_ms, std::uint64_t limit,
                      std::optional<std::uint64_t> ack) {
  std::string path = events_path(settings);
  path += path.find('?') == std::string::npos ? '?' : '&';
  if (after) path += fmt::format("after={}&", *after);
  if (ack) path += fmt::format("ack={}&", *ack);
  return path + fmt::format("wait={}ms&limit={}", wait_ms, limit);
}

}  // namespace kite::cli
