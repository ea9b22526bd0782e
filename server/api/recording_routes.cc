#include "api/recording_routes.h"

#include "api/recording_request.h"
#include "common/log.h"
#include "http/problem.h"
#include "record/recording_files.h"

namespace kite::server {
namespace {

using http::HttpRequest;
using nlohmann::json;

// The settings in force, the files in the directory (every worker's, flushed bytes), and the
// totals of all workers since start.
json recording_status(const Server& server) {
  const record::RecordSettings& settings = server.recording();
  json files = json::array();
  for (const auto& file : record::recording_files(settings.directory))
    files.push_back({{"name", file.name}, {"bytes", file.bytes}});
  const record::RecordTotals totals = server.recording_totals();
  return {{"enabled", settings.enabled},
          {"devices", settings.every_connection() ? json(nullptr) : json(settings.devices)},
          {"directory", settings.directory.string()},
          {"files", std::move(files)},
          {"frames", totals.frames},
          {"bytes", totals.bytes},
          {"errors", totals.errors}};
}

void change_recording(Server& server, const HttpRequest& request,
                      const http::Responder& responder) {
  api::RecordingChange change;
  if (auto problem = api::parse_recording_change(request.body, change); !problem.empty())
    return responder.respond(http::problem_response(400, "Invalid recording change", problem));
  record::RecordSettings settings = server.recording();  // directory and limits stay
  settings.enabled = change.enabled;
  settings.choose(change.devices.value_or(std::vector<std::string>{}));
  server.set_recording(std::move(settings));
  KITE_LOG(info, "record.switched",
           {{"enabled", change.enabled},
            {"devices", change.devices ? change.devices->size() : 0},
            {"directory", server.recording().directory.string()}});
  responder.respond(api::json_response(200, recording_status(server)));
}

}  // namespace

void add_recording_routes(http::Router& router, Server& server, AdminApiOptions options) {
  using http::Scope;
  router.add("GET", "/v1/recording",
             api::authorized(options.tokens, Scope::read,
                             [&server](const HttpRequest&, const http::RouteParams&,
                                       http::Responder responder) {
                               responder.respond(api::json_response(200, recording_status(server)));
                             }));
  router.add("PUT", "/v1/recording",
             api::authorized(options.tokens, Scope::admin,
                             [&server](const HttpRequest& request, const http::RouteParams&,
                                       http::Responder responder) {
                               change_recording(server, request, responder);
                             }));
}

}  // namespace kite::server
