#include "api/recording_request.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/quoted.h"
#include "config/validate.h"

namespace kite::server::api {

using nlohmann::json;

namespace {
constexpr std::size_t kShownNameBytes = 64;  // of an unknown member's name, in the answer
}  // namespace

std::string parse_recording_change(const std::string& body, RecordingChange& change) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return "the body is not valid JSON";
  if (!parsed.is_object()) return "the body must be a JSON object";
  for (const auto& [name, value] : parsed.items()) {
    if (name != "enabled" && name != "devices")
      return fmt::format("unknown member {}: expected \"enabled\" and \"devices\"",
                         quoted(std::string_view(name).substr(0, kShownNameBytes)));
  }
  const auto enabled = parsed.find("enabled");
  if (enabled == parsed.end() || !enabled->is_boolean())
    return "\"enabled\" is required: true or false";
  change.enabled = enabled->get<bool>();
  change.devices.reset();
  const auto devices = parsed.find("devices");
  if (devices == parsed.end() || devices->is_null()) return {};
  if (!devices->is_array())
    return "\"devices\" must be an array of device ids, or null for every connection";
  if (devices->empty())
    return "\"devices\" is empty, which would record nothing: give device ids, or null for every "
           "connection";
  if (devices->size() > config::kMaxRecordedDevices)
    return fmt::format("\"devices\" has {} ids; at most {}", devices->size(),
                       config::kMaxRecordedDevices);
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < devices->size(); ++i) {
    const json& id = (*devices)[i];
    if (!id.is_string()) return fmt::format("\"devices\"[{}] must be a string", i);
    if (auto problem = config::device_id_problem(id.get_ref<const std::string&>());
        !problem.empty())
      return fmt::format("\"devices\"[{}]: {}", i, problem);
    ids.push_back(id.get<std::string>());
  }
  change.devices = std::move(ids);
  return {};
}

}  // namespace kite::server::api
