#include "api/group_routes.h"

#include "api/bulk_send.h"
#include "http/problem.h"

namespace kite::server {
namespace {

using api::json_response;
using http::HttpRequest;
using http::problem_response;
using nlohmann::json;

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
  if (!api::valid_device_id(device)) return responder.respond(api::invalid_device_id_response());
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
    members.push_back({{"device", device}, {"online", server.router().find(device).has_value()}});
  json body{{"group", group}, {"size", size}, {"members", std::move(members)}};
  body["next_cursor"] = page.size() == limit ? json(page.back()) : json(nullptr);
  responder.respond(json_response(200, body));
}

}  // namespace

void add_group_routes(http::Router& router, Server& server, BulkSends& bulk_sends,
                      AdminApiOptions options) {
  using http::Scope;
  // Membership decides who a group send reaches: it goes with send, not with admin.
  router.add("PUT", "/v1/groups/{group}/members/{id}",
             api::authorized(options.tokens, Scope::send,
                             [&server](const HttpRequest&, const http::RouteParams& params,
                                       http::Responder responder) {
                               put_member(server, params.get("group"), params.get("id"), responder);
                             }));
  router.add("DELETE", "/v1/groups/{group}/members/{id}",
             api::authorized(options.tokens, Scope::send,
                             [&server](const HttpRequest&, const http::RouteParams& params,
                                       http::Responder responder) {
                               delete_member(server, params.get("group"), params.get("id"),
                                             responder);
                             }));
  router.add("GET", "/v1/groups/{group}",
             api::authorized(options.tokens, Scope::read,
                             [&server](const HttpRequest& request, const http::RouteParams& params,
                                       http::Responder responder) {
                               describe_group(server, request, params.get("group"), responder);
                             }));
  router.add("POST", "/v1/messages",
             api::authorized(options.tokens, Scope::send,
                             [&bulk_sends](const HttpRequest& request, const http::RouteParams&,
                                           http::Responder responder) {
                               bulk_sends.handle(request, responder);
                             }));
}

}  // namespace kite::server
