#include "api/events_routes.h"

#include <nlohmann/json.hpp>

#include "api/api_helpers.h"
#include "http/bearer.h"
#include "http/problem.h"

namespace kite::server {

using http::problem_response;

namespace {

http::HttpResponse events_off() {
  return problem_response(404, "Event stream off",
                          "this server records no events (events.retention_events = 0)");
}

// {"member":"m1","through":"1234"}: the member handled every event it was given up to 1234.
void ack_route(api::EventHub* hub, const http::HttpRequest& request,
               const http::RouteParams& params, const http::Responder& responder) {
  if (hub == nullptr) return responder.respond(events_off());
  const auto body = nlohmann::json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  const auto member = body.is_object() ? body.find("member") : body.end();
  const auto through = body.is_object() ? body.find("through") : body.end();
  std::uint64_t id = 0;
  const bool valid =
      body.is_object() && member != body.end() && member->is_string() &&
      api::valid_consumer_name(member->get<std::string>()) && through != body.end() &&
      ((through->is_string() && api::parse_event_id(through->get<std::string>(), id)) ||
       (through->is_number_unsigned() && (id = through->get<std::uint64_t>(), true)));
  if (!valid)
    return responder.respond(problem_response(
        400, "Invalid acknowledgement",
        R"(the body is {"member":"NAME","through":"ID"}: the id of the last event handled)"));
  const std::string group(params.get("group"));
  const auto acked = hub->ack(group, member->get<std::string>(), id);
  using Outcome = api::EventHub::AckResult::Outcome;
  if (acked.outcome == Outcome::unavailable)
    return responder.respond(problem_response(
        503, "Consumer group unavailable",
        "the acknowledgement could not be saved in the cluster's shared store (Redis "
        "unreachable, or the group busy): send it again"));
  if (acked.outcome == Outcome::unknown)
    return responder.respond(problem_response(
        404, "Unknown consumer group member",
        "no member of that name reads in that group now (or the group does not exist): read "
        "with GET /v1/events?consumer_group=GROUP&member=NAME first; a member gone for longer "
        "than events.consumer_member_ms has lost what it held"));
  responder.respond(api::json_response(200, {{"acked", std::to_string(acked.acked)}}));
}

}  // namespace

void add_event_routes(http::Router& router, api::EventHub* hub, const http::TokenSet* tokens) {
  router.add("POST", "/v1/event-groups/{group}/ack",
             api::authorized(
                 tokens, http::Scope::read,
                 [hub](const http::HttpRequest& request, const http::RouteParams& params,
                       http::Responder responder) { ack_route(hub, request, params, responder); }));
  router.add(
      "GET", "/v1/event-groups",
      api::authorized(
          tokens, http::Scope::read,
          [hub](const http::HttpRequest&, const http::RouteParams&, http::Responder responder) {
            if (hub == nullptr) return responder.respond(events_off());
            responder.respond(
                {200, {{"Content-Type", "application/json"}}, hub->describe_groups()});
          }));
  router.add(
      "GET", "/v1/events",
      api::authorized(
          tokens, http::Scope::read,
          [hub, tokens](const http::HttpRequest& request, const http::RouteParams&,
                        http::Responder responder) {
            if (hub == nullptr) return responder.respond(events_off());
            api::EventQuery query;
            if (auto problem = api::parse_event_query(request, query); !problem.empty())
              return responder.respond(problem_response(400, "Invalid event query", problem));
            // The route's guard let it in, so the token is known: its name.
            const http::BearerCheck check = http::check_bearer(request, *tokens, http::Scope::read);
            hub->serve(std::move(query), responder,
                       check.token ? check.token->name : std::string());
          }));
}

}  // namespace kite::server
