// The router; see router.h.
#include "http/router.h"

#include <algorithm>
#include <stdexcept>

#include "http/problem.h"

namespace kite::server::http {

const std::string* RouteParams::find(std::string_view name) const {
  for (const auto& [key, value] : params_)
    if (key == name) return &value;
  return nullptr;
}

std::string_view RouteParams::get(std::string_view name) const {
  const std::string* value = find(name);
  return value != nullptr ? std::string_view(*value) : std::string_view();
}

void Router::add(std::string method, std::string_view pattern, GuardedHandler guarded) {
  add(std::move(method), pattern, std::move(guarded.handler));
  routes_.back().guard = std::move(guarded.guard);
}

void Router::add(std::string method, std::string_view pattern, Handler handler) {
  auto bad = [&](const char* why) {
    return std::invalid_argument("route \"" + std::string(pattern) + "\": " + why);
  };
  if (pattern.empty() || pattern.front() != '/') throw bad("must start with '/'");
  Route route{std::move(method), {}, std::move(handler), {}};
  std::string_view rest = pattern.substr(1);
  while (!rest.empty()) {
    std::size_t slash = rest.find('/');
    std::string_view text = rest.substr(0, slash);
    if (text.empty()) throw bad("empty segment");
    bool is_param = text.front() == '{' && text.back() == '}';
    if (is_param) text = text.substr(1, text.size() - 2);
    if (text.empty() || text.find_first_of("{}") != std::string_view::npos)
      throw bad("a parameter is a whole segment \"{name}\"");
    for (const Segment& seen : route.segments)
      if (is_param && seen.is_param && seen.text == text) throw bad("duplicate parameter");
    route.segments.push_back({std::string(text), is_param});
    if (slash == std::string_view::npos) break;
    rest = rest.substr(slash + 1);
    if (rest.empty()) throw bad("empty segment");
  }
  routes_.push_back(std::move(route));
}

bool Router::match(const Route& route, const std::vector<std::string>& segments,
                   RouteParams* params) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Segment& want = route.segments[i];
    if (want.is_param ? segments[i].empty() : segments[i] != want.text) return false;
  }
  if (params != nullptr)
    for (std::size_t i = 0; i < segments.size(); ++i)
      if (route.segments[i].is_param) params->add(route.segments[i].text, segments[i]);
  return true;
}

std::variant<Router::Match, HttpResponse> Router::route(const HttpRequest& request) const {
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (!match(route, request.segments, nullptr)) continue;
    if (route.method == request.method) {
      Match found{&route.handler, {}};
      match(route, request.segments, &found.params);
      return found;
    }
    if (std::find(allowed.begin(), allowed.end(), route.method) == allowed.end())
      allowed.push_back(route.method);
  }
  if (allowed.empty()) return problem_response(404, "", "no resource at this path");
  std::string allow;
  for (const std::string& method : allowed) allow += (allow.empty() ? "" : ", ") + method;
  HttpResponse response =
      problem_response(405, "", "this resource does not accept " + request.method);
  response.headers.emplace_back("Allow", allow);
  return response;
}

std::optional<HttpResponse> Router::check_head(const HttpRequest& head) const {
  for (const Route& route : routes_)
    if (route.method == head.method && match(route, head.segments, nullptr))
      return route.guard ? route.guard(head) : std::nullopt;
  auto routed = route(head);  // no route for this method: the 404 or 405
  if (auto* refusal = std::get_if<HttpResponse>(&routed)) return std::move(*refusal);
  return std::nullopt;
}

}  // namespace kite::server::http
