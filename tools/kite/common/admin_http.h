// A blocking HTTP/1.1 client for kited's admin API, used by the load generator's own threads
// (bench/group_sender.h, bench/http_sender.h) and by the `kite` commands that call the API: one
// keep-alive connection, requests one at a time, bodies sized by Content-Length (kited's answers
// always carry it). Not a general client: no chunked bodies, no redirects, no TLS.
//
// A kept-alive connection the server closed while it was idle fails before any byte of the next
// answer arrives; the server saw nothing of that request, so it is sent once more on a fresh
// connection. Any other failure is returned as status 0 with what went wrong.
#pragma once

#include <string>
#include <string_view>

namespace kite::cli {

struct HttpAnswer {
  int status = 0;  // 0: the request could not be made (see body)
  std::string body;
};

class AdminHttp {
 public:
  // `url`: http://HOST:PORT (a name, an IPv4 address or [IPv6]); `token`: the admin bearer token.
  AdminHttp(std::string url, std::string token);
  ~AdminHttp();
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;

  // Gives up connecting, sending or waiting for an answer after `ms`; 0 (the default) waits as
  // long as the kernel does.
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }

  // Sends one request (connecting first if needed) and waits for its answer.
  HttpAnswer request(std::string_view method, std::string_view path, std::string_view body = {});

 private:
  HttpAnswer exchange(std::string_view method, std::string_view path, std::string_view body,
                      bool& nothing_answered);
  std::string connect_once();  // "" or what went wrong
  void disconnect();

  std::string url_problem_;  // why `url` cannot be used, reported by every request
  std::string host_, port_, token_;
  int timeout_ms_ = 0;
  int fd_ = -1;
  std::string buffer_;  // bytes read past the previous answer
};

}  // namespace kite::cli
