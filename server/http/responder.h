// Responder: how a handler answers one request, now or later, in full or as a stream.
//
// Rules:
//  - A Responder is a small copyable handle (a weak reference to the connection and the
//    request's place in it). Keep it as long as you like; call it only on the loop thread.
//  - If the client went away, or the request was already answered, every call is a no-op
//    (the stream calls return false).
//  - Responses leave in request order: a pipelined request answered early waits, inside the
//    server, for the requests before it.
//  - Exactly one of respond() or start_stream() counts; after start_stream(), send_chunk() any
//    number of times and end() once. Streams use chunked transfer coding.
//  - on_close(callback): the callback runs once if the connection closes before this response
//    has been fully handed to the socket (client gone, idle timeout, server closing). It never
//    runs after the response is complete. It may call the Responder (a no-op by then).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>

#include "http/message.h"

namespace kite::server::http {

class Connection;

class Responder {
 public:
  Responder() = default;  // answers nothing
  Responder(std::weak_ptr<Connection> connection, std::uint64_t sequence)
      : connection_(std::move(connection)), sequence_(sequence) {}

  void respond(HttpResponse response) const;

  bool start_stream(int status, Headers headers) const;
  bool send_chunk(std::string_view bytes) const;
  void end() const;

  void on_close(std::function<void()> callback) const;

  // True while the client is connected and this request has not been fully answered.
  bool pending() const;
  // Bytes written to the connection's socket and not yet sent (for streams to watch a slow
  // client); 0 when the connection is gone.
  std::size_t queued_bytes() const;

 private:
  std::weak_ptr<Connection> connection_;
  std::uint64_t sequence_ = 0;
};

}  // namespace kite::server::http
