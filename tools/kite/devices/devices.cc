#include "devices/devices.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>

#include "common/api_client.h"
#include "flags/api_flags.h"

namespace kite::cli {
namespace {

constexpr std::uint64_t kMaxPage = 1000;  // the API's largest page

struct DevicesOptions {
  ApiOptions api;
  bool online = true;
  std::uint64_t limit = 0;  // 0: every online device
  bool json = false;
  std::string device;
};

std::string text_of(const nlohmann::json& body, const char* name) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return "-";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

// since_ms (wall clock, ms) as UTC "2026-05-01 12:00:00".
std::string time_of(const nlohmann::json& body) {
  auto it = body.find("since_ms");
  if (it == body.end() || !it->is_number_unsigned()) return "-";
  const std::time_t seconds = static_cast<std::time_t>(it->get<std::uint64_t>() / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
  return text;
}

// "tls" or "tcp": the listener the device came in through.
const char* transport_of(const nlohmann::json& device) {
  auto it = device.find("tls");
  if (it == device.end() || !it->is_boolean()) return "-";
  return it->get<bool>() ? "tls" : "tcp";
}

int fail(const char* command, const ApiAnswer& answer, const std::string& url) {
  std::fprintf(stderr, "kite %s: %s\n", command, describe_failure(answer, url).c_str());
  return exit_code_for(answer);
}

int run_devices(const DevicesOptions& o) {
  if (auto problem = missing_token_problem(o.api); !problem.empty()) {
    std::fprintf(stderr, "kite devices: %s\n", problem.c_str());
    return kExitUsage;
  }
  ApiClient api(o.api);
  std::string cursor;
  std::uint64_t shown = 0, online = 0;
  if (!o.json) std::printf("%-32s %-20s %s\n", "DEVICE", "SINCE (UTC)", "ADDRESS");
  for (;;) {
    std::uint64_t page = kMaxPage;
    if (o.limit > 0) page = std::min(page, o.limit - shown);
    std::string path = fmt::format("/v1/devices?online=true&limit={}", page);
    // The cursor is a device id: '&', '+', '%' or ' ' in it must not reach the query raw (test
    // 14.14 has one of each as the cursor).
    if (!cursor.empty()) path += "&cursor=" + path_segment(cursor);
    ApiAnswer answer = api.call("GET", path);
    if (!answer.ok()) return fail("devices", answer, api.url());
    const auto& body = answer.body;
    if (!body.is_object() || !body.contains("devices") || !body["devices"].is_array()) {
      std::fprintf(stderr, "kite devices: an answer without \"devices\": %s\n", answer.raw.c_str());
      return kExitFailed;
    }
    online = body.value("online", std::uint64_t{0});
    for (const auto& device : body["devices"]) {
      ++shown;
      if (o.json)
        std::puts(device.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
      else
        std::printf("%-32s %-20s %-40s %s\n", text_of(device, "device").c_str(),
                    time_of(device).c_str(), text_of(device, "address").c_str(),
                    transport_of(device));
    }
    const auto next = body.find("next_cursor");
    if (next == body.end() || !next->is_string() || (o.limit > 0 && shown >= o.limit)) break;
    cursor = next->get<std::string>();
  }
  if (!o.json)
    std::printf("%llu shown, %llu online\n", static_cast<unsigned long long>(shown),
                static_cast<unsigned long long>(online));
  return kExitOk;
}

int run_device(const DevicesOptions& o) {
  if (auto problem = missing_token_problem(o.api); !problem.empty()) {
    std::fprintf(stderr, "kite device: %s\n", problem.c_str());
    return kExitUsage;
  }
  ApiClient api(o.api);
  ApiAnswer answer = api.call("GET", "/v1/devices/" + path_segment(o.device));
  if (!answer.ok()) return fail("device", answer, api.url());
  const auto& body = answer.body;
  if (o.json || !body.is_object()) {
    std::puts(answer.raw.c_str());
    return kExitOk;
  }
  for (const char* field : {"device", "online", "address", "tls", "queued", "queued_bytes",
                            "next_seq", "acked_through"})
    std::printf("%-14s %s\n", field, text_of(body, field).c_str());
  std::printf("%-14s %s\n", "since (UTC)", time_of(body).c_str());
  return kExitOk;
}

}  // namespace

void add_devices_commands(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<DevicesOptions>();
  auto* list = app.add_subcommand(
      "devices",
      "List the online devices (GET /v1/devices, every page): device, connected since, address, "
      "tcp or tls. "
      "Offline devices are not listed: ask about one with kite device ID");
  list->add_flag("--online", o->online,
                 "online devices only: the default and the only list kited keeps");
  list->add_option("--limit", o->limit, "show at most N devices; 0 = all")->capture_default_str();
  list->add_flag("--json", o->json, "one JSON object per device and line");
  add_api_options(*list, o->api);
  commands.push_back({list, [o] { return run_devices(*o); }});

  auto* one = app.add_subcommand("device",
                                 "Show one device (GET /v1/devices/{id}): online, since, address, "
                                 "tls, its queue, sequence numbers");
  one->add_option("id", o->device, "the device id")->required()->type_name("ID");
  one->add_flag("--json", o->json, "print the API's answer as it is");
  add_api_options(*one, o->api);
  commands.push_back({one, [o] { return run_device(*o); }});
}

}  // namespace kite::cli
