#include "api/events_routes.h"

#include "api/api_helpers.h"
#include "http/problem.h"

namespace kite::server {

using http::problem_response;

void add_event_routes(http::Router& router, api::EventHub* hub, const http::TokenSet* tokens) {
  router.add(
      "GET", "/v1/events",
      api::authorized(tokens, http::Scope::read,
                      [hub](const http::HttpRequest& request, const http::RouteParams&,
                            http::Responder responder) {
                        if (hub == nullptr)
                          return responder.respond(problem_response(
                              404, "Event stream off",
                              "this server records no events (events.retention_events = 0)"));
                        api::EventQuery query;
                        if (auto problem = api::parse_event_query(request, query); !problem.empty())
                          return responder.respond(
                              problem_response(400, "Invalid event query", problem));
                        hub->serve(std::move(query), responder);
                      }));
}

}  // namespace kite::server
