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
#pragma once

#include <functional>
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

class Router {
 public:
  struct Match {
    const Handler* handler;
    RouteParams params;
  };

  void add(std::string method, std::string_view pattern, Handler handler);

  // A match, or the 404/405 problem response to send instead.
  std::variant<Match, HttpResponse> route(const HttpRequest& request) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool is_param;
  };
  struct Route {
    std::string method;
    std::vector<Segment> segments;
    Handler handler;
  };

  static bool match(const Route& route, const std::vector<std::string>& segments,
                    RouteParams* params);

  std::vector<Route> routes_;
};

}  // namespace kite::server::http
