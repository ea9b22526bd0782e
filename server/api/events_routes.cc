#include "api/events_routes.h"

#include "api/api_helpers.h"
#include "http/bearer.h"
#include "http/problem.h"

namespace kite::server {

using http::problem_response;

void add_event_routes(http::Router& router, api::EventHub* hub, const http::TokenSet* tokens) {
  router.add(
      "GET", "/v1/events",
      api::authorized(
          tokens, http::Scope::read,
          [hub, tokens](const http::HttpRequest& request, const http::RouteParams&,
                        http::Responder responder) {
            if (hub == nullptr)
              return responder.respond(
                  problem_response(404, "Event stream off",
                                   "this server records no events (events.retention_events = 0)"));
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
