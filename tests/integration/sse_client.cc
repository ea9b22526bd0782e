#include "sse_client.h"

#include <stdexcept>

#include "test_device.h"

namespace kite::it {

SseClient::SseClient(std::uint16_t port, const std::string& token, const std::string& path,
                     const std::string& last_event_id)
    : socket_(port) {
  std::string request = "GET " + path +
                        " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n"
                        "Authorization: Bearer " +
                        token + "\r\n";
  if (!last_event_id.empty()) request += "Last-Event-ID: " + last_event_id + "\r\n";
  request += "\r\n";
  socket_.send({reinterpret_cast<const std::uint8_t*>(request.data()), request.size()});
}

int SseClient::status(int timeout_ms) {
  const Millis deadline = now_ms() + timeout_ms;
  while (!have_head_ && !socket_.peer_closed() && now_ms() < deadline) {
    socket_.read_for(static_cast<int>(std::max<Millis>(deadline - now_ms(), 1)));
    parse();
  }
  if (!have_head_) return 0;
  return std::stoi(head_.substr(9, 3));  // "HTTP/1.1 200 OK"
}

std::optional<SseEvent> SseClient::next(int timeout_ms) {
  const Millis deadline = now_ms() + timeout_ms;
  parse();
  while (events_.empty() && !socket_.peer_closed() && now_ms() < deadline) {
    socket_.read_for(static_cast<int>(std::max<Millis>(deadline - now_ms(), 1)));
    parse();
  }
  if (events_.empty()) return std::nullopt;
  SseEvent event = std::move(events_.front());
  events_.pop_front();
  return event;
}

void SseClient::parse() {
  const auto& bytes = socket_.received();
  std::string_view in(reinterpret_cast<const char*>(bytes.data()) + consumed_,
                      bytes.size() - consumed_);
  if (!have_head_) {
    const std::size_t end = in.find("\r\n\r\n");
    if (end == std::string_view::npos) return;
    head_ = std::string(in.substr(0, end));
    have_head_ = true;
    consumed_ += end + 4;
    in.remove_prefix(end + 4);
    if (head_.find("chunked") == std::string::npos) {  // a complete answer (an error)
      body_.append(in);
      consumed_ += in.size();
      return;
    }
  }
  // Chunked transfer coding: "<hex size>\r\n<bytes>\r\n", the last chunk has size 0.
  while (!in.empty()) {
    if (chunk_left_ == 0) {
      const std::size_t line_end = in.find("\r\n");
      if (line_end == std::string_view::npos) break;
      if (line_end == 0) {  // the CRLF after a chunk's bytes
        consumed_ += 2;
        in.remove_prefix(2);
        continue;
      }
      chunk_left_ = std::stoul(std::string(in.substr(0, line_end)), nullptr, 16);
      consumed_ += line_end + 2;
      in.remove_prefix(line_end + 2);
      if (chunk_left_ == 0) break;  // the end of the stream
      continue;
    }
    const std::size_t take = std::min(chunk_left_, in.size());
    body_.append(in.substr(0, take));
    chunk_left_ -= take;
    consumed_ += take;
    in.remove_prefix(take);
  }
  std::size_t newline;
  while ((newline = body_.find('\n')) != std::string::npos) {
    take_line(std::string_view(body_).substr(0, newline));
    body_.erase(0, newline + 1);
  }
}

void SseClient::take_line(std::string_view line) {
  if (line.empty()) {  // a blank line dispatches the event being built
    if (!building_.data.empty() || !building_.type.empty()) events_.push_back(building_);
    building_ = {};
    return;
  }
  if (line.starts_with(':')) {
    ++comments_;
    return;
  }
  const std::size_t colon = line.find(':');
  std::string_view field = line.substr(0, colon), value;
  if (colon != std::string_view::npos) {
    value = line.substr(colon + 1);
    if (value.starts_with(' ')) value.remove_prefix(1);
  }
  if (field == "id") {
    building_.id = value;
  } else if (field == "event") {
    building_.type = value;
  } else if (field == "data") {
    if (!building_.data.empty()) building_.data.push_back('\n');
    building_.data.append(value);
  }
}

}  // namespace kite::it
