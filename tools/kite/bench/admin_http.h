// A blocking HTTP/1.1 client for kited's admin API, for the load generator's own thread: one
// keep-alive connection, requests one at a time, bodies sized by Content-Length (kited's
// answers always carry it). Not a general client: no chunked bodies, no redirects, no TLS.
#pragma once

#include <string>
#include <string_view>

namespace kite::bench {

struct HttpAnswer {
  int status = 0;  // 0: the request could not be made (see body)
  std::string body;
};

class AdminHttp {
 public:
  // `url`: http://HOST:PORT (numeric IPv4 host); `token`: the admin bearer token.
  AdminHttp(std::string url, std::string token);
  ~AdminHttp();
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;

  // Sends one request (connecting first if needed) and waits for its answer.
  HttpAnswer request(std::string_view method, std::string_view path, std::string_view body = {});

 private:
  std::string connect_once();  // "" or what went wrong
  void disconnect();

  std::string host_, token_;
  int port_ = 0;
  int fd_ = -1;
  std::string buffer_;  // bytes read past the previous answer
};

}  // namespace kite::bench
