#include "api/bulk_request.h"

#include <array>

#include "core/group_directory.h"

namespace kite::server::api {
namespace {

using nlohmann::json;

// The fields of one message: at the top level (one message), or in each "messages" entry.
constexpr std::array<const char*, 10> kMessageFields = {
    "payload", "payload_base64", "topic",           "content_type",      "key",
    "qos",     "ttl_ms",         "idempotency_key", "fallback_after_ms", "fallback"};

std::string parse_targets(const json& body, BulkRequest& out) {
  const bool has_devices = body.contains("devices"), has_group = body.contains("group"),
             has_all = body.contains("all");
  if (int{has_devices} + int{has_group} + int{has_all} != 1)
    return "give exactly one of \"devices\" (a list of ids), \"group\" and \"all\"";
  if (has_all) {
    if (body["all"] != true) return "\"all\" must be true";
    out.targets = BulkRequest::Targets::All;
    return {};
  }
  if (has_group) {
    if (!body["group"].is_string()) return "\"group\" must be a string";
    out.group = body["group"].get<std::string>();
    if (!GroupDirectory::valid_name(out.group))
      return "a group name is 1-128 bytes without control characters or '/'";
    out.targets = BulkRequest::Targets::Group;
    return {};
  }
  const json& devices = body["devices"];
  if (!devices.is_array() || devices.empty() || devices.size() > kMaxListTargets)
    return "\"devices\" must be a list of 1 to 10000 device ids";
  for (const auto& device : devices) {
    if (!device.is_string() || !valid_device_id(device.get<std::string>()))
      return "every device id is a string of 1-128 bytes without control characters";
    out.devices.push_back(device.get<std::string>());
  }
  out.targets = BulkRequest::Targets::Devices;
  return {};
}

// One message's fields; `where` prefixes the problem ("messages[3]: ").
std::string parse_message(const json& fields, const AdminApiOptions& options,
                          const std::string& where, SendRequest& send) {
  if (!fields.is_object()) return where + "each message must be a JSON object";
  if (auto problem = parse_send_fields(fields, options, send); !problem.empty())
    return where + problem;
  if (!send.idempotency_key.empty())
    return where + "\"idempotency_key\" is per device: retry a bulk send per device, or send again";
  return {};
}

std::string parse_batch(const json& body, const AdminApiOptions& options, BulkRequest& out) {
  for (const char* field : kMessageFields)
    if (body.contains(field))
      return std::string(
                 "give the message fields either at the top level (one message) or in "
                 "\"messages\" (a batch), not both: \"") +
             field + "\" is at the top level";
  const json& messages = body["messages"];
  if (!messages.is_array() || messages.empty() || messages.size() > kMaxBatchMessages)
    return "\"messages\" must be a list of 1 to " + std::to_string(kMaxBatchMessages) + " messages";
  std::size_t payload_bytes = 0;
  out.messages.resize(messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const std::string where = "messages[" + std::to_string(i) + "]: ";
    if (auto problem = parse_message(messages[i], options, where, out.messages[i]);
        !problem.empty())
      return problem;
    payload_bytes += out.messages[i].payload.size();
    if (payload_bytes > kMaxBatchPayloadBytes)
      return "the payloads of a batch add up to more than " +
             std::to_string(kMaxBatchPayloadBytes) + " bytes: send it in smaller batches";
  }
  out.batch = true;
  return {};
}

std::string parse_report(const json& body, BulkRequest& out) {
  auto it = body.find("report");
  if (it == body.end()) return {};
  if (*it == "summary")
    out.summary_only = true;
  else if (*it != "results")
    return "\"report\" must be \"results\" (a status per device, the default) or \"summary\"";
  return {};
}

}  // namespace

std::string parse_bulk_request(const json& body, const AdminApiOptions& options, BulkRequest& out) {
  out = BulkRequest();
  if (!body.is_object()) return "the body must be a JSON object";
  if (auto problem = parse_targets(body, out); !problem.empty()) return problem;
  if (auto problem = parse_report(body, out); !problem.empty()) return problem;
  if (body.contains("messages")) return parse_batch(body, options, out);
  out.messages.resize(1);
  return parse_message(body, options, "", out.messages[0]);
}

}  // namespace kite::server::api
