// POSTs a webhook's batches over one kept-alive connection and reads the answers with the
// http-parser library (the one the admin API's server parses requests with).
//
// One request in flight at a time; the whole exchange (connect, TLS, request, answer) is bounded
// by one deadline. After any failure, or an answer that does not keep the connection alive, the
// connection is closed and the next request opens a new one.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "webhooks/connection.h"

namespace kite::server::webhooks {

struct PostResult {
  int status = 0;     // the HTTP status; 0 when none arrived
  std::string error;  // why no status arrived (connection, TLS, timeout, bad answer)
  bool ok() const { return status >= 200 && status < 300; }
};

class HttpPoster {
 public:
  HttpPoster(const HttpUrl& url, SSL_CTX* tls, const std::atomic<bool>* cancel)
      : url_(url), connection_(url, tls, cancel) {}

  PostResult post(const std::vector<std::pair<std::string, std::string>>& headers,
                  std::string_view body, Clock::time_point deadline);

 private:
  PostResult exchange(const std::string& request, Clock::time_point deadline);

  HttpUrl url_;
  Connection connection_;
};

}  // namespace kite::server::webhooks
