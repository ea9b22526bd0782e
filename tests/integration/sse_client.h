// A Server-Sent Events reader for GET /v1/events: one raw HTTP/1.1 request on its own socket,
// then the chunked body de-chunked and cut into events (id, event, data), as a browser's
// EventSource would see them, comments (keep-alives) counted apart.
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <deque>
#include <optional>
#include <string>

#include "raw_socket.h"

namespace kite::it {

struct SseEvent {
  std::string id;  // empty: the event had no id line
  std::string type;
  std::string data;
  nlohmann::json json() const { return nlohmann::json::parse(data, nullptr, false); }
};

class SseClient {
 public:
  // Sends GET `path` with the bearer token (and Last-Event-ID when not empty).
  SseClient(std::uint16_t port, const std::string& token, const std::string& path,
            const std::string& last_event_id = {});

  // The response status (waits for the head up to `timeout_ms`); 0 when none came.
  int status(int timeout_ms = 5'000);
  std::string head() const { return head_; }
  // The next event, or nullopt if none arrives within `timeout_ms` or the stream ended.
  std::optional<SseEvent> next(int timeout_ms);
  std::size_t comments() const { return comments_; }
  bool closed() const { return socket_.peer_closed(); }

 private:
  void parse();  // moves received bytes through the head, chunk and event parsers
  void take_line(std::string_view line);

  RawSocket socket_;
  std::size_t consumed_ = 0;  // of socket_.received()
  std::string head_;
  bool have_head_ = false;
  std::string body_;  // de-chunked, not yet cut into lines
  std::size_t chunk_left_ = 0;
  SseEvent building_;
  std::deque<SseEvent> events_;
  std::size_t comments_ = 0;
};

}  // namespace kite::it
