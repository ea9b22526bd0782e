#include "api/group_routes.h"

#include <map>

#include "common/log.h"
#include "core/worker.h"
#include "http/problem.h"

namespace kite::server {
namespace {

using api::json_response;
using http::HttpRequest;
using http::problem_response;
using nlohmann::json;

constexpr std::size_t kMaxListTargets = 10'000;
constexpr std::size_t kStoreBatch = 1'000;  // messages per store write in a bulk send

http::HttpResponse invalid_group() {
  return problem_response(400, "Invalid group name",
                          "a group name is 1-128 bytes without control characters or '/'");
}

void put_member(Server& server, std::string_view group, std::string_view device,
                const http::Responder& responder) {
  if (!GroupDirectory::valid_name(group)) return responder.respond(invalid_group());
  if (!api::valid_device_id(device)) return responder.respond(api::invalid_device_id_response());
  using Result = GroupDirectory::JoinResult;
  switch (server.groups().join(group, device)) {
    case Result::Joined:
      return responder.respond(json_response(201, {{"group", group}, {"device", device}}));
    case Result::AlreadyMember:
      return responder.respond(json_response(200, {{"group", group}, {"device", device}}));
    case Result::DeviceLimit:
      return responder.respond(
          problem_response(409, "Too many groups", "a device is in at most 256 groups"));
    case Result::GroupLimit:
      return responder.respond(
          problem_response(409, "Too many members", "a group holds at most 1,000,000 devices"));
    case Result::InvalidName:
      return responder.respond(invalid_group());
  }
}

void delete_member(Server& server, std::string_view group, std::string_view device,
                   const http::Responder& responder) {
  if (!GroupDirectory::valid_name(group)) return responder.respond(invalid_group());
  if (!server.groups().leave(group, device))
    return responder.respond(
        problem_response(404, "Not a member", "the device is not a member of this group"));
  responder.respond(json_response(200, {{"group", group}, {"device", device}, {"left", true}}));
}

void describe_group(Server& server, const HttpRequest& request, std::string_view group,
                    const http::Responder& responder) {
  if (!GroupDirectory::valid_name(group)) return responder.respond(invalid_group());
  std::size_t limit = 0;
  if (auto problem = api::page_limit(request, limit); !problem.empty())
    return responder.respond(problem_response(400, "Invalid query", problem));
  const std::string* cursor = request.query_param("cursor");
  const std::size_t size = server.groups().size(group);
  if (size == 0)
    return responder.respond(
        problem_response(404, "Unknown group", "no device is a member of this group"));
  auto page = server.groups().members(group, cursor ? *cursor : std::string_view(), limit);
  json members = json::array();
  for (const auto& device : page)
    members.push_back(
        {{"device", device}, {"online", server.context().registry->find(device).has_value()}});
  json body{{"group", group}, {"size", size}, {"members", std::move(members)}};
  body["next_cursor"] = page.size() == limit ? json(page.back()) : json(nullptr);
  responder.respond(json_response(200, body));
}

// Every device online now, in id order (devices are not enumerable otherwise).
std::vector<std::string> everyone_online(Server& server) {
  constexpr std::size_t kPage = 10'000;
  std::vector<std::string> targets;
  std::string after;
  for (;;) {
    auto page = server.context().registry->list(after, kPage);
    for (auto& entry : page) targets.push_back(entry.first);
    if (page.size() < kPage) return targets;
    after = page.back().first;
  }
}

// The targets of a bulk send: "devices": [ids], "group": name, or "all": true (exactly one).
std::string parse_targets(Server& server, const json& body, std::vector<std::string>& targets) {
  const bool has_devices = body.contains("devices"), has_group = body.contains("group"),
             has_all = body.contains("all");
  if (int{has_devices} + int{has_group} + int{has_all} != 1)
    return "give exactly one of \"devices\" (a list of ids), \"group\" and \"all\"";
  if (has_all) {
    if (body["all"] != true) return "\"all\" must be true";
    targets = everyone_online(server);
    return {};
  }
  if (has_group) {
    if (!body["group"].is_string()) return "\"group\" must be a string";
    const auto group = body["group"].get<std::string>();
    if (!GroupDirectory::valid_name(group))
      return "a group name is 1-128 bytes without control characters or '/'";
    targets = server.groups().members(group);
    if (targets.empty()) return "unknown group: no device is a member of \"" + group + "\"";
    return {};
  }
  const json& devices = body["devices"];
  if (!devices.is_array() || devices.empty() || devices.size() > kMaxListTargets)
    return "\"devices\" must be a list of 1 to 10000 device ids";
  for (const auto& device : devices) {
    if (!device.is_string() || !api::valid_device_id(device.get<std::string>()))
      return "every device id is a string of 1-128 bytes without control characters";
    targets.push_back(device.get<std::string>());
  }
  return {};
}

// POST /v1/messages: one message to many devices; each target's outcome in the answer.
void send_bulk(Server& server, const AdminApiOptions& options, const HttpRequest& request,
               const http::Responder& responder) {
  json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object())
    return responder.respond(
        problem_response(400, "Invalid message", "the body must be a JSON object"));
  std::vector<std::string> targets;
  if (auto problem = parse_targets(server, body, targets); !problem.empty())
    return responder.respond(problem_response(
        problem.starts_with("unknown group") ? 404 : 400,
        problem.starts_with("unknown group") ? "Unknown group" : "Invalid message", problem));
  api::SendRequest send;
  if (auto problem = api::parse_send_fields(body, options, send); !problem.empty())
    return responder.respond(problem_response(400, "Invalid message", problem));
  if (!send.idempotency_key.empty())
    return responder.respond(problem_response(
        400, "Invalid message",
        "\"idempotency_key\" is per device: retry a bulk send per device, or send again"));

  json results = json::array();
  std::map<std::string, std::size_t> counts;
  const auto record = [&](const std::string& device, const char* status, json extra = {}) {
    json result{{"device", device}, {"status", status}};
    if (extra.is_object()) result.update(extra);
    results.push_back(std::move(result));
    ++counts[status];
  };
  if (send.qos == 0) {
    for (const auto& device : targets) {
      const bool online =
          server.send_transient(device, send.payload, send.topic, send.content_type);
      record(device, online ? "sent" : "dropped");
    }
  } else {
    const NewMessage message{send.payload, send.topic, send.content_type,
                             send.key,     {},         send.ttl_ms};
    std::vector<std::pair<std::string_view, NewMessage>> batch;
    std::vector<EnqueueResult> answers;
    const auto now = static_cast<std::uint64_t>(wall_clock_ms());
    for (std::size_t first = 0; first < targets.size(); first += kStoreBatch) {
      const std::size_t last = std::min(targets.size(), first + kStoreBatch);
      batch.clear();
      for (std::size_t i = first; i < last; ++i) batch.emplace_back(targets[i], message);
      server.store().enqueue_batch(batch, now, answers);  // one write per chunk
      for (std::size_t i = first; i < last; ++i) {
        const EnqueueResult& answer = answers[i - first];
        const std::string& device = targets[i];
        switch (answer.status) {
          case EnqueueResult::Status::Queued:
            record(
                device, "queued",
                {{"seq", answer.seq}, {"id", answer.message_id}, {"online", server.wake(device)}});
            break;
          case EnqueueResult::Status::Full:
            record(device, "rejected", {{"reason", "queue full"}});
            break;
          case EnqueueResult::Status::Invalid:
            record(device, "rejected", {{"reason", answer.error}});
            break;
          default:
            KITE_LOG(error, "api.store_failed", {{"device", device}, {"error", answer.error}});
            record(device, "failed", {{"reason", answer.error}});
            break;
        }
      }
    }
  }
  json summary = json::object();
  for (const auto& [status, count] : counts) summary[status] = count;
  responder.respond(json_response(200, {{"results", std::move(results)}, {"summary", summary}}));
}

}  // namespace

void add_group_routes(http::Router& router, Server& server, AdminApiOptions options) {
  router.add(
      "PUT", "/v1/groups/{group}/members/{id}",
      api::authorized(options.token, [&server](const HttpRequest&, const http::RouteParams& params,
                                               http::Responder responder) {
        put_member(server, params.get("group"), params.get("id"), responder);
      }));
  router.add(
      "DELETE", "/v1/groups/{group}/members/{id}",
      api::authorized(options.token, [&server](const HttpRequest&, const http::RouteParams& params,
                                               http::Responder responder) {
        delete_member(server, params.get("group"), params.get("id"), responder);
      }));
  router.add("GET", "/v1/groups/{group}",
             api::authorized(options.token,
                             [&server](const HttpRequest& request, const http::RouteParams& params,
                                       http::Responder responder) {
                               describe_group(server, request, params.get("group"), responder);
                             }));
  router.add("POST", "/v1/messages",
             api::authorized(options.token, [&server, options](const HttpRequest& request,
                                                               const http::RouteParams&,
                                                               http::Responder responder) {
               send_bulk(server, options, request, responder);
             }));
}

}  // namespace kite::server
