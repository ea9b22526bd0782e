// A blocking HTTP/1.1 client for kited's admin API, used by the load generator's own threads
// (bench/group_sender.h, bench/http_sender.h) and by the `kite` commands that call the API: one
// keep-alive connection, requests one at a time, bodies sized by Content-Length (kited's answers
// always carry it). The one exception is an event stream (GET /v1/events), whose body is chunked
// and endless: open_stream() starts one and read_stream() takes its bytes as they come. Not a
// general client: no redirects, no TLS.
//
// A kept-alive connection the server closed while it was idle fails before any byte of the next
// answer arrives; the server saw nothing of that request, so it is sent once more on a fresh
// connection. Any other failure is returned as status 0 with what went wrong.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "common/chunked_body.h"

namespace kite::cli {

struct HttpAnswer {
  int status = 0;  // 0: the request could not be made (see body)
  std::string body;
  bool streaming = false;  // open_stream(): the body is a stream, read it with read_stream()
};

// What read_stream() found.
enum class StreamRead {
  Data,         // bytes were added (possibly none yet: a chunk header alone)
  Idle,         // nothing arrived within the wait
  Interrupted,  // a signal arrived while waiting (the caller checks why, then reads on)
  Ended,        // the server ended the stream, or closed the connection
  Failed,       // the connection failed, or the body is not chunked as it must be
};

class AdminHttp {
 public:
  // `url`: http://HOST:PORT (a name, an IPv4 address or [IPv6]); `token`: the admin bearer token.
  AdminHttp(std::string url, std::string token);
  ~AdminHttp();
  AdminHttp(const AdminHttp&) = delete;
  AdminHttp& operator=(const AdminHttp&) = delete;

  // Gives up connecting, sending or waiting for an answer after `ms`; 0 (the default) waits as
  // long as the kernel does. Applies to an open connection too (a long-poll's longer wait).
  void set_timeout_ms(int ms);

  // Sends one request (connecting first if needed) and waits for its answer.
  HttpAnswer request(std::string_view method, std::string_view path, std::string_view body = {});

  // Sends GET `path` with `extra_headers` ("Name: value\r\n" lines) on a fresh connection and
  // reads the answer's head. A chunked answer is a stream: streaming is set and the body is read
  // with read_stream() until it ends or the next request. Any other answer is read whole.
  HttpAnswer open_stream(std::string_view path, std::string_view extra_headers);
  // Waits up to `wait_ms` for more of the stream's body and appends it to `out`.
  StreamRead read_stream(std::string& out, int wait_ms);

 private:
  enum class Received { Bytes, TimedOut, Interrupted, Closed };

  HttpAnswer exchange(std::string_view method, std::string_view path, std::string_view body,
                      bool& nothing_answered);
  std::string request_head(std::string_view method, std::string_view path,
                           std::string_view extra_headers, std::size_t body_size) const;
  HttpAnswer read_answer(bool& nothing_answered);  // a head and Content-Length bytes of body
  Received receive();                              // one recv() into buffer_
  std::string no_answer(Received why) const;       // what went wrong, for HttpAnswer::body
  std::string connect_once();                      // "" or what went wrong
  void disconnect();

  std::string url_problem_;  // why `url` cannot be used, reported by every request
  std::string host_, port_, token_;
  int timeout_ms_ = 0;
  int fd_ = -1;
  std::string buffer_;                   // bytes read past the previous answer
  std::unique_ptr<ChunkedBody> stream_;  // set while a stream's body is being read
};

}  // namespace kite::cli
