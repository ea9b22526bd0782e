// The admin HTTP API: bearer token, problem bodies, acceptance, health.
#include "harness.h"

namespace kite::it {

TEST_CASE("06.1 http: /v1 without a token or with a wrong one is 401") {
  Harness h;
  auto none = h.http.request("GET", "/v1/devices/d-1", "", /*with_token=*/false);
  CHECK(none.status == 401);
  CHECK(none.headers.find("WWW-Authenticate") != std::string::npos);
  CHECK(none.json()["status"] == 401);

  HttpClient wrong(h.kited.admin_port(), "not-the-admin-token-at-all");
  CHECK(wrong.request("GET", "/v1/devices/d-1").status == 401);
  auto post = wrong.send("d-1", "x");
  CHECK(post.status == 401);
  CHECK(h.http.device("d-1")["queued"] == 0);  // nothing was queued by the refused send
}

TEST_CASE("06.2 http: a bad body is 400 with a problem body") {
  Harness h;
  auto bad = h.http.request("POST", "/v1/devices/d-1/messages", "{not json");
  CHECK(bad.status == 400);
  CHECK(bad.headers.find("application/problem+json") != std::string::npos);
  auto problem = bad.json();
  REQUIRE(problem.is_object());
  CHECK(problem["status"] == 400);
  CHECK(problem["detail"].get<std::string>().find("JSON") != std::string::npos);

  auto qos = h.http.request("POST", "/v1/devices/d-1/messages", R"({"payload":"x","qos":2})");
  CHECK(qos.status == 400);
  CHECK(h.http.device("d-1")["queued"] == 0);
}

TEST_CASE("06.3 http: a good send is 202 with id and seq; GET shows it queued") {
  Harness h;
  auto answer = h.send_ok("d-1", "hi", {{"idempotency_key", "order-1"}});
  CHECK(answer["status"] == "queued");
  CHECK(answer["seq"] == 1);
  CHECK(answer["online"] == false);
  CHECK(answer["id"].is_string());
  auto again = h.send_ok("d-1", "hi", {{"idempotency_key", "order-1"}});
  CHECK(again["status"] == "duplicate");
  CHECK(again["seq"] == 1);
  auto info = h.http.device("d-1");
  CHECK(info["queued"] == 1);
  CHECK(info["next_seq"] == 2);
  CHECK(info["online"] == false);
}

TEST_CASE("06.4 http: GET /healthz answers without a token") {
  Harness h;
  auto health = h.http.request("GET", "/healthz", "", /*with_token=*/false);
  CHECK(health.status == 200);
  CHECK(health.json()["status"] == "ok");
}

}  // namespace kite::it
