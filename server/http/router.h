// Router: maps (method, path) to a handler, with patterns such as "/v1/devices/{id}/messages".
//
// Rules:
//  - A pattern is "/" or '/'-separated segments, each a literal or a whole "{name}". Bad
//    patterns (empty segment, stray brace, duplicate parameter) throw std::invalid_argument from
//    add(): they are programming errors found at start-up.
//  - Matching is on the request's percent-decoded segments (so "%2F" inside a segment is a
//    slash in the parameter, not a separator). A parameter never matches an empty segment.
//  - The first added route that matches path and method wins. No path match: 404. A path match
//    with another method: 405 with an Allow header listing the methods of the matching routes.
//    Both are problem+json bodies.
//  - A route may have a guard (its bearer-token check): check_head() runs it on a request whose
//    body is still to come, so a refused client is answered before any body byte is read.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "http/message.h"
#include "http/responder.h"

namespace kite::server::http {

class RouteParams {
 public:
  void add(std::string name, std::string value) { params_.emplace_back(std::move(name), value); }
  // The value of {name}, or null when the route has no such parameter.
  const std::string* find(std::string_view name) const;
  // The value of {name}, or "" when there is none.
  std::string_view get(std::string_view name) const;
  std::size_t size() const { return params_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> params_;
};

using Handler = std::function<void(const HttpRequest&, const RouteParams&, Responder)>;
// Judges a request from its head alone: nothing to go on, or the response to send instead.
using Guard = std::function<std::optional<HttpResponse>(const HttpRequest&)>;
// A handler whose guard also runs before the body is read (the handler may check again).
struct GuardedHandler {
  Guard guard;
  Handler handler;
};

class Router {
 public:
  struct Match {
    const Handler* handler;
    RouteParams params;
  };

  void add(std::string method, std::string_view pattern, Handler handler);
  void add(std::string method, std::string_view pattern, GuardedHandler guarded);

  // A match, or the 404/405 problem response to send instead.
  std::variant<Match, HttpResponse> route(const HttpRequest& request) const;
  // For a request whose head is complete and whose body is not read yet: the 404/405 or the
  // route guard's refusal to answer instead, or nothing (read the body, then route()).
  std::optional<HttpResponse> check_head(const HttpRequest& head) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool is_param;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
    Guard guard;  // may be empty
  };

  static bool match(const Route& route, const std::vector<std::string>& segments,
                    RouteParams* params);

  std::vector<Route> routes_;
};

}  // namespace kite::server::http
