// A tiny blocking HTTP/1.1 client for kited's admin API: one request per connection
// ("Connection: close"), status and body back, JSON bodies parsed with nlohmann.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace kite::it {

struct HttpResponse {
  int status = 0;
  std::string headers;  // raw header block, lines separated by CRLF
  std::string body;
  nlohmann::json json() const;  // the body parsed (discarded value if not JSON)
};

class HttpClient {
 public:
  // `token`: the bearer token sent when a request asks for it.
  explicit HttpClient(std::uint16_t port, std::string token = {});

  // nullopt when the server cannot be reached or the answer is not HTTP.
  std::optional<HttpResponse> try_request(const std::string& method, const std::string& path,
                                          const std::string& body, bool with_token = true,
                                          const std::string& extra_headers = {}) const;
  // As try_request, but throws (failing the test) when there is no answer.
  HttpResponse request(const std::string& method, const std::string& path,
                       const std::string& body = {}, bool with_token = true,
                       const std::string& extra_headers = {}) const;

  // POST /v1/devices/{id}/messages with a JSON body built from the arguments.
  HttpResponse send(const std::string& device, const std::string& payload, int qos = 1,
                    const nlohmann::json& extra = nlohmann::json::object()) const;
  // GET /v1/devices/{id} as JSON (throws unless 200).
  nlohmann::json device(const std::string& device) const;

 private:
  std::uint16_t port_;
  std::string token_;
};

}  // namespace kite::it
