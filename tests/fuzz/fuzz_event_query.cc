// Fuzzes what GET /v1/events reads from a client and writes back: the query parser
// (server/api/event_query.h) on requests cut by the real HTTP parser, and the hand-written JSON
// of events (server/common/json_text.h, server/events/event.h) on arbitrary bytes.
//
//   the input is a request head, e.g. "GET /v1/events?type=uplink&wait=3s HTTP/1.1\r\n..."
//
// Checked: no crash (ASan/UBSan); a query accepted keeps its limits (devices sorted, unique, at
// most kMaxDevices; groups at most kMaxGroups; wait at most kMaxWaitMs; limit 1..kMaxLimit; a
// type mask that is not empty); the input's bytes as a JSON string, and as an uplink event's
// topic and payload, always parse as JSON, and give back the same text when it is UTF-8.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "api/event_query.h"
#include "common/json_text.h"
#include "events/event.h"
#include "fuzz_check.h"
#include "http/request_parser.h"
#include "kite/protocol/utf8.h"

namespace {

using namespace kite::server;

void check_query(const http::HttpRequest& request) {
  api::EventQuery query;
  if (!api::parse_event_query(request, query).empty()) return;
  KITE_FUZZ_CHECK(query.types != 0 && query.types < (1u << events::kEventTypes));
  KITE_FUZZ_CHECK(query.devices.size() <= api::EventQuery::kMaxDevices);
  KITE_FUZZ_CHECK(std::adjacent_find(query.devices.begin(), query.devices.end(),
                                     std::greater_equal<>()) == query.devices.end());
  KITE_FUZZ_CHECK(query.groups.size() <= api::EventQuery::kMaxGroups);
  KITE_FUZZ_CHECK(!query.wait_ms || *query.wait_ms <= api::EventQuery::kMaxWaitMs);
  KITE_FUZZ_CHECK(query.limit >= 1 && query.limit <= api::EventQuery::kMaxLimit);
}

void check_json(std::string_view text) {
  std::string quoted;
  json_text::append_string(quoted, text);
  auto parsed = nlohmann::json::parse(quoted, nullptr, false);
  KITE_FUZZ_CHECK(parsed.is_string());
  if (kite::protocol::is_utf8(text)) KITE_FUZZ_CHECK(parsed.get<std::string>() == text);

  std::span<const std::uint8_t> payload(reinterpret_cast<const std::uint8_t*>(text.data()),
                                        text.size());
  events::EventBatch batch;
  batch.uplink(text, 1, {3, 1, text, text, payload});
  events::EventView event = batch.view(batch.headers()[0]);
  event.id = 7;
  KITE_FUZZ_CHECK(event.device == text);
  std::string object;
  events::append_json(object, event);
  auto json = nlohmann::json::parse(object, nullptr, false);
  KITE_FUZZ_CHECK(json.is_object() && json["id"] == "7");
  KITE_FUZZ_CHECK(json.contains("payload") != json.contains("payload_base64"));
  std::string sse;
  events::append_sse(sse, event);
  KITE_FUZZ_CHECK(sse.find("\n\n") == sse.size() - 2);  // one record, whatever the bytes
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  http::RequestParser parser(http::ParserLimits{});
  auto result = parser.feed(input);
  for (const auto& request : result.requests) check_query(request);
  check_json(input.substr(0, 4096));
  return 0;
}
