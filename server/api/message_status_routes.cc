#include "api/message_status_routes.h"

#include <nlohmann/json.hpp>

#include <string>

#include "common/wall_clock.h"
#include "http/problem.h"

namespace kite::server {
namespace {

using http::problem_response;
using nlohmann::json;

json status_body(std::string_view id, const MessageStatus& status) {
  json body{{"id", id},
            {"device", status.device},
            {"seq", status.seq},
            {"status", state_name(status.state)},
            {"queued_at", status.queued_at}};
  if (!status.reason.empty()) body["reason"] = status.reason;
  if (status.sent_at != 0) body["sent_at"] = status.sent_at;
  if (status.ended_at != 0) body["ended_at"] = status.ended_at;
  return body;
}

// Why an id the store may well have given out is not in the book.
std::string unknown_detail(const MessageStatusBook& book) {
  std::string detail =
      "no message with this id is tracked: it may have ended more than " +
      std::to_string(book.window_ms()) +
      " ms ago (store.status_window_ms), or been sent before this kited started (statuses are "
      "kept in memory only)";
  if (const std::uint64_t untracked = book.untracked(); untracked != 0)
    detail += ", or not be tracked: store.status_max_entries was reached and " +
              std::to_string(untracked) + " messages were not tracked";
  return detail;
}

void describe_message(Server& server, std::string_view id, const http::Responder& responder) {
  MessageStatusBook* book = server.statuses();
  if (book == nullptr)
    return responder.respond(problem_response(
        404, "Message status is off",
        "store.status_window_ms is 0 on this kited: message statuses are not kept"));
  if (!valid_message_id(id))
    return responder.respond(problem_response(
        400, "Invalid message id", "a message id is 26 characters of lowercase base32 (a-z, 2-7)"));
  const auto status = book->find(id, static_cast<std::uint64_t>(wall_clock_ms()));
  if (!status)
    return responder.respond(problem_response(404, "Unknown message", unknown_detail(*book)));
  responder.respond(api::json_response(200, status_body(id, *status)));
}

}  // namespace

bool valid_message_id(std::string_view id) {
  if (id.size() != MessageStatusBook::kIdBytes) return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '2' && c <= '7'))) return false;
  return true;
}

void message_status_metrics(Server& server, metrics::PrometheusText& out) {
  MessageStatusBook* book = server.statuses();
  if (book == nullptr) return;
  // A scrape is when idle shards are tidied: the count is then what GET can still answer.
  book->sweep(static_cast<std::uint64_t>(wall_clock_ms()));
  out.gauge("kite_message_status_entries",
            "Messages whose status GET /v1/messages/{id} can answer (store.status_max_entries).",
            book->entries());
  out.counter("kite_message_status_untracked_total",
              "Stored messages whose status was not kept: store.status_max_entries was reached "
              "and every kept status was of a message not yet ended.",
              book->untracked());
}

void add_message_status_routes(http::Router& router, Server& server, AdminApiOptions options) {
  router.add("GET", "/v1/messages/{id}",
             api::authorized(options.tokens, http::Scope::read,
                             [&server](const http::HttpRequest&, const http::RouteParams& params,
                                       http::Responder responder) {
                               describe_message(server, params.get("id"), responder);
                             }));
}

}  // namespace kite::server
