// The body of POST /v1/messages: targets, one message or a batch, the answer wanted; every
// refusal names what is wrong.
#include <doctest/doctest.h>

#include "api/bulk_request.h"

using kite::server::AdminApiOptions;
using kite::server::api::BulkRequest;
using kite::server::api::parse_bulk_request;
using nlohmann::json;

namespace {

// "" when `text` parses as a valid request, else the problem.
std::string parse(const std::string& text, BulkRequest& out, const AdminApiOptions& options = {}) {
  return parse_bulk_request(json::parse(text), options, out);
}

bool refused_with(const std::string& text, const std::string& detail) {
  BulkRequest out;
  const std::string problem = parse(text, out);
  INFO(text, " -> ", problem);
  return problem.find(detail) != std::string::npos && !detail.empty();
}

}  // namespace

TEST_CASE("one message at the top level: the form kept for existing callers") {
  BulkRequest out;
  REQUIRE(parse(R"({"group":"g","payload":"x","qos":0,"topic":"t"})", out) == "");
  CHECK(out.targets == BulkRequest::Targets::Group);
  CHECK(out.group == "g");
  CHECK_FALSE(out.batch);
  CHECK_FALSE(out.summary_only);
  REQUIRE(out.messages.size() == 1);
  CHECK(out.messages[0].qos == 0);
  CHECK(out.messages[0].topic == "t");
}

TEST_CASE("a batch: each message with its own fields, in order") {
  BulkRequest out;
  REQUIRE(parse(R"({"devices":["a","b"],"report":"summary","messages":[)"
                R"({"payload":"1"},{"payload_base64":"Mg","qos":0,"ttl_ms":5}]})",
                out) == "");
  CHECK(out.targets == BulkRequest::Targets::Devices);
  CHECK(out.devices == std::vector<std::string>{"a", "b"});
  CHECK(out.batch);
  CHECK(out.summary_only);
  REQUIRE(out.messages.size() == 2);
  CHECK(out.messages[0].payload == "1");
  CHECK(out.messages[0].qos == 1);
  CHECK(out.messages[1].payload == "2");
  CHECK(out.messages[1].ttl_ms == 5);
}

TEST_CASE("bad batches are refused with the reason") {
  CHECK(refused_with(R"({"all":true,"messages":[]})", "1 to 256"));
  CHECK(refused_with(R"({"all":true,"messages":"x"})", "must be a list"));
  CHECK(refused_with(R"({"all":true,"messages":[{"payload":"x"}],"topic":"t"})",
                     "\"topic\" is at the top level"));
  CHECK(refused_with(R"({"all":true,"messages":[{"payload":"x"},7]})",
                     "messages[1]: each message must be a JSON object"));
  CHECK(refused_with(R"({"all":true,"messages":[{"payload":"x","qos":3}]})",
                     "messages[0]: \"qos\" must be 0 or 1"));
  CHECK(refused_with(R"({"all":true,"messages":[{"payload":"x","idempotency_key":"k"}]})",
                     "messages[0]: \"idempotency_key\" is per device"));
  CHECK(refused_with(R"({"all":true,"payload":"x","report":1})", "\"report\" must be"));
  CHECK(refused_with(R"({"payload":"x"})", "exactly one of"));
  CHECK(refused_with(R"(["x"])", "JSON object"));

  std::string many = R"({"all":true,"messages":[)";
  for (int i = 0; i < 257; ++i) many += std::string(i ? "," : "") + R"({"payload":"x"})";
  CHECK(refused_with(many + "]}", "1 to 256"));

  AdminApiOptions options;
  options.max_payload = 1u << 20;
  BulkRequest out;
  const std::string half(600'000, 'a');
  const std::string big =
      R"({"all":true,"messages":[{"payload":")" + half + R"("},{"payload":")" + half + R"("}]})";
  CHECK(parse(big, out, options).find("add up to more than 1048576 bytes") != std::string::npos);
}
