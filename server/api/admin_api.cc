#include "api/admin_api.h"

#include "api/api_helpers.h"

#include <nlohmann/json.hpp>

#include <cstdlib>

#include "common/log.h"
#include "common/log_limiter.h"
#include "http/bearer.h"
#include "http/problem.h"
#include "kite/protocol/base64url.h"
#include "kite/protocol/limits.h"
#include "kite/protocol/utf8.h"

namespace kite::server {
namespace {

using http::HttpRequest;
using http::HttpResponse;
using http::problem_response;
using nlohmann::json;
using namespace api;

// The answer to a stored (QoS 1) send: 202 with where it stands, or why it was not stored.
HttpResponse stored_answer(std::string_view device, const Outcome& outcome) {
  const EnqueueResult& result = outcome.stored;
  using Status = EnqueueResult::Status;
  switch (result.status) {
    case Status::Queued:
    case Status::Duplicate: {
      json body{{"id", result.message_id},
                {"seq", result.seq},
                {"status", result.status == Status::Queued ? "queued" : "duplicate"},
                {"online", outcome.online}};
      if (result.replaced) body["replaced"] = true;
      if (result.dropped_oldest) body["dropped_oldest"] = result.dropped_oldest;
      return json_response(202, body);
    }
    case Status::Full: {
      http::Problem problem{429, "Queue full",
                            "the device's queue (or the server's) is at its cap and the policy "
                            "is to reject; retry after the device has caught up"};
      auto response = problem.to_response();
      response.headers.emplace_back("Retry-After", "5");
      return response;
    }
    case Status::Invalid:
      return problem_response(400, "Invalid message", result.error);
    case Status::Busy: {
      http::Problem problem{503, "Too many idempotency keys", result.error};
      auto response = problem.to_response();
      response.headers.emplace_back("Retry-After", "60");
      return response;
    }
    case Status::Error:
      break;
  }
  // Every send fails while the store is down (a Redis away, a full disk): one line a second.
  static log::Limiter limiter(20, 1000);
  if (auto suppressed = limiter.admit())
    KITE_LOG(error, "api.store_failed",
             {{"device", device}, {"error", result.error}, {"suppressed", *suppressed}});
  http::Problem problem{503, "Store unavailable",
                        "the message was not stored; retry later: " + result.error};
  auto response = problem.to_response();
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

// Parse, deliver, answer: the store, the routes and the workers are the dispatcher's.
void send_to_device(Server& server, const AdminApiOptions& options, const HttpRequest& request,
                    std::string_view device, const http::Responder& responder) {
  if (!valid_device_id(device)) return responder.respond(invalid_device_id_response());
  SendRequest send;
  if (auto problem = parse_send(request.body, options, send); !problem.empty())
    return responder.respond(problem_response(400, "Invalid message", problem));
  if (send.qos != 0)
    if (auto refusal = frame_refusal(server.frame_limits(), device, send.payload.size(),
                                     send.topic.size(), send.content_type.size(), send.key.size());
        !refusal.empty())
      return responder.respond(problem_response(413, "Message too large for the device", refusal));

  const NewMessage message{
      send.payload,         send.topic,  send.content_type,      send.key,
      send.idempotency_key, send.ttl_ms, send.fallback_after_ms, send.fallback_cancel};
  const Parcel parcel{0, 0};
  std::vector<Outcome> outcomes;
  server.delivery().send({&message, 1}, {&device, 1}, {&parcel, 1},
                         send.qos == 0 ? protocol::Qos::AtMostOnce : protocol::Qos::AtLeastOnce,
                         outcomes);
  const Outcome& outcome = outcomes[0];
  if (send.qos != 0) return responder.respond(stored_answer(device, outcome));
  if (outcome.stored.status == EnqueueResult::Status::Invalid)
    return responder.respond(problem_response(400, "Invalid message", outcome.stored.error));
  return responder.respond(json_response(
      202,
      {{"status", outcome.sent ? "sent" : "dropped"}, {"online", outcome.online}, {"qos", 0}}));
}

struct CommandRequest {
  std::string name, payload;
  std::uint32_t timeout_ms = 10'000;
};

constexpr std::uint32_t kMaxCommandTimeoutMs = 300'000;

// Parses and checks a command body; "" when valid, else the problem detail.
std::string parse_command(const std::string& text, const AdminApiOptions& options,
                          CommandRequest& command) {
  json body = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return "the body is not valid JSON";
  if (!body.is_object()) return "the body must be a JSON object";
  std::string problem;
  if (!optional_string(body, "name", command.name, problem)) return problem;
  if (command.name.empty() || command.name.size() > protocol::limits::kCommandName)
    return "\"name\" is required: 1 to 64 bytes";
  if (auto payload_problem = read_payload(body, options, /*required=*/false, command.payload);
      !payload_problem.empty())
    return payload_problem;
  if (auto it = body.find("timeout_ms"); it != body.end()) {
    if (!it->is_number_unsigned() || *it == 0 || it->get<std::uint64_t>() > kMaxCommandTimeoutMs)
      return "\"timeout_ms\" must be a whole number of milliseconds from 1 to 300000";
    command.timeout_ms = it->get<std::uint32_t>();
  }
  return {};
}

HttpResponse command_answer(const CommandOutcome& outcome) {
  using Kind = CommandOutcome::Kind;
  switch (outcome.kind) {
    case Kind::Replied: {
      json body{
          {"status", outcome.status},
          {"payload_base64", protocol::base64url_encode(
                                 {reinterpret_cast<const std::uint8_t*>(outcome.payload.data()),
                                  outcome.payload.size()})}};
      if (protocol::is_utf8(outcome.payload)) body["payload"] = outcome.payload;
      return json_response(200, body);
    }
    case Kind::TimedOut:
      return problem_response(504, "Command timed out",
                              outcome.detail + "; the device may still act on it");
    case Kind::Offline:
      return problem_response(
          409, "Device offline",
          outcome.detail + "; commands are not queued: retry when it is online");
    case Kind::Refused:
      return problem_response(413, "Command too large", outcome.detail);
    case Kind::Busy: {
      auto response = problem_response(429, "Too many commands", outcome.detail);
      response.headers.emplace_back("Retry-After", "1");
      return response;
    }
    case Kind::Abandoned:  // nobody is left to read it
      return problem_response(409, "Command abandoned", outcome.detail);
  }
  return problem_response(500, "Internal error", "unknown command outcome");
}

void command_device(Server& server, LoopInbox& inbox, const AdminApiOptions& options,
                    const HttpRequest& request, std::string_view device,
                    const http::Responder& responder) {
  if (!valid_device_id(device)) return responder.respond(invalid_device_id_response());
  CommandRequest command;
  if (auto problem = parse_command(request.body, options, command); !problem.empty())
    return responder.respond(problem_response(400, "Invalid command", problem));
  if (server.auth().revoked(device))
    return responder.respond(problem_response(404, "Unknown device", "this device id is revoked"));
  // `done` runs on a worker thread (or here, when the device is offline): the answer goes back
  // to this loop through the inbox. A client that goes away first frees its pending slot.
  auto ticket = std::make_shared<CommandTicket>();
  responder.on_close(
      [&server, device = std::string(device), ticket] { server.abandon_command(device, ticket); });
  server.send_command(
      device, std::move(command.name), std::move(command.payload), command.timeout_ms,
      [&inbox, responder](CommandOutcome outcome) {
        inbox.post([responder, outcome = std::move(outcome)] {
          responder.respond(command_answer(outcome));
        });
      },
      ticket);
}

// GET /v1/devices?online=true&limit=&cursor=: online devices in id order, a page at a time.
void list_devices(Server& server, const HttpRequest& request, const http::Responder& responder) {
  if (const std::string* online = request.query_param("online"); online && *online != "true")
    return responder.respond(problem_response(
        400, "Invalid query",
        "only online devices can be listed (online=true): devices are not enumerated, their "
        "ids come from credentials; ask GET /v1/devices/{id} about one device"));
  std::size_t limit = 0;
  if (auto problem = page_limit(request, limit); !problem.empty())
    return responder.respond(problem_response(400, "Invalid query", problem));
  const std::string* cursor = request.query_param("cursor");
  auto page = server.router().list(cursor ? *cursor : std::string_view(), limit);
  json devices = json::array();
  for (const auto& [id, route] : page)
    devices.push_back({{"device", id},
                       {"since_ms", route.since_ms},
                       {"address", route.address.text()},
                       {"tls", route.tls}});
  json body{{"devices", std::move(devices)}, {"online", server.router().online()}};
  body["next_cursor"] = page.size() == limit ? json(page.back().first) : json(nullptr);
  responder.respond(json_response(200, body));
}

// DELETE /v1/devices/{id}/connection?message=&reconnect_after_ms=: ends the device's session
// with Kicked; the device sees the message and when it may come back. `service:NAME` ends every
// connection of that service (a leaked service key must be cut off without a restart).
void kick_device(Server& server, const HttpRequest& request, std::string_view device,
                 const http::Responder& responder) {
  if (!valid_device_id(device) && !valid_service_id(device))
    return responder.respond(invalid_device_id_response());
  std::string message = "disconnected by the operator";
  if (const std::string* text = request.query_param("message")) {
    if (text->size() > protocol::limits::kErrorMessage)
      return responder.respond(
          problem_response(400, "Invalid query", "\"message\" is above 256 bytes"));
    message = *text;
  }
  std::uint32_t reconnect_after_ms = 0;
  if (const std::string* text = request.query_param("reconnect_after_ms")) {
    char* end = nullptr;
    const unsigned long long value = std::strtoull(text->c_str(), &end, 10);
    if (text->empty() || *end != '\0' || value > 86'400'000)
      return responder.respond(problem_response(
          400, "Invalid query", "\"reconnect_after_ms\" must be a whole number up to 86400000"));
    reconnect_after_ms = static_cast<std::uint32_t>(value);
  }
  const std::size_t ended =
      server.kick(device, protocol::Reason::Kicked, std::move(message), reconnect_after_ms);
  if (ended == 0)
    return responder.respond(
        problem_response(404, "Device not connected", "the device has no connection to close"));
  responder.respond(
      json_response(200, {{"device", device}, {"kicked", true}, {"connections", ended}}));
}

void describe_device(Server& server, std::string_view device, const http::Responder& responder) {
  if (!valid_device_id(device)) return responder.respond(invalid_device_id_response());
  auto route = server.router().find(device);
  QueueInfo queue = server.store().info(device);
  json body{{"device", device},
            {"online", route.has_value()},
            {"queued", queue.queued_messages},
            {"queued_bytes", queue.queued_bytes},
            {"next_seq", queue.next_seq},
            {"acked_through", queue.acked_through}};
  if (route) {
    body["since_ms"] = route->since_ms;
    body["address"] = route->address.text();
    body["tls"] = route->tls;
  } else if (auto node = server.router().node_elsewhere(device)) {
    body["online"] = true;  // on another node of the cluster, which alone knows the details
    body["node"] = *node;
  }
  responder.respond(json_response(200, body));
}

}  // namespace

void add_admin_routes(http::Router& router, Server& server, LoopInbox& inbox,
                      AdminApiOptions options) {
  using http::Scope;
  // Open: load balancers and orchestrators probe it without credentials; it says ok or not.
  router.add("GET", "/healthz",
             [&server](const HttpRequest&, const http::RouteParams&, http::Responder responder) {
               bool healthy = server.store().healthy();
               responder.respond(json_response(healthy ? 200 : 503,
                                               {{"status", healthy ? "ok" : "store unavailable"}}));
             });
  router.add(
      "POST", "/v1/devices/{id}/messages",
      authorized(options.tokens, Scope::send,
                 [&server, options](const HttpRequest& request, const http::RouteParams& params,
                                    http::Responder responder) {
                   send_to_device(server, options, request, params.get("id"), responder);
                 }));
  // A command is the device's data plane like a message: the backends that send also command.
  router.add(
      "POST", "/v1/devices/{id}/commands",
      authorized(
          options.tokens, Scope::send,
          [&server, &inbox, options](const HttpRequest& request, const http::RouteParams& params,
                                     http::Responder responder) {
            command_device(server, inbox, options, request, params.get("id"), responder);
          }));
  router.add("GET", "/v1/devices",
             authorized(options.tokens, Scope::read,
                        [&server](const HttpRequest& request, const http::RouteParams&,
                                  http::Responder responder) {
                          list_devices(server, request, responder);
                        }));
  // Kicking cuts a device off: an operator's act, not a backend's, so it needs admin.
  router.add("DELETE", "/v1/devices/{id}/connection",
             authorized(options.tokens, Scope::admin,
                        [&server](const HttpRequest& request, const http::RouteParams& params,
                                  http::Responder responder) {
                          kick_device(server, request, params.get("id"), responder);
                        }));
  router.add("GET", "/v1/devices/{id}",
             authorized(options.tokens, Scope::read,
                        [&server](const HttpRequest&, const http::RouteParams& params,
                                  http::Responder responder) {
                          describe_device(server, params.get("id"), responder);
                        }));
}

}  // namespace kite::server
