#include "webhooks/http_post.h"

#include <fmt/format.h>
#include <http_parser.h>

namespace kite::server::webhooks {
namespace {

struct Answer {
  bool complete = false;
  bool keep_alive = false;
};

int on_message_complete(http_parser* parser) {
  auto* answer = static_cast<Answer*>(parser->data);
  answer->complete = true;
  answer->keep_alive = http_should_keep_alive(parser) != 0;
  return 0;
}

const http_parser_settings& settings() {
  static const http_parser_settings all = [] {
    http_parser_settings s{};
    http_parser_settings_init(&s);
    s.on_message_complete = on_message_complete;  // the body is not read: the status is the answer
    return s;
  }();
  return all;
}

}  // namespace

PostResult HttpPoster::post(const std::vector<std::pair<std::string, std::string>>& headers,
                            std::string_view body, Clock::time_point deadline) {
  std::string request = fmt::format("POST {} HTTP/1.1\r\nHost: {}\r\nContent-Length: {}\r\n",
                                    url_.target, url_.host_header(), body.size());
  for (const auto& [name, value] : headers) request += fmt::format("{}: {}\r\n", name, value);
  request += "\r\n";
  request.append(body);
  // A kept-alive connection the receiver closed while idle fails before any answer: that is not
  // the receiver refusing the batch, so it is tried once more on a new connection.
  const bool reused = connection_.is_open();
  PostResult result = exchange(request, deadline);
  if (reused && result.status == 0 && Clock::now() < deadline) result = exchange(request, deadline);
  return result;
}

PostResult HttpPoster::exchange(const std::string& request, Clock::time_point deadline) {
  PostResult result;
  if (result.error = connection_.open(deadline); !result.error.empty()) return result;
  if (result.error = connection_.write_all(request, deadline); !result.error.empty()) {
    connection_.close();
    return result;
  }
  http_parser parser{};
  http_parser_init(&parser, HTTP_RESPONSE);
  Answer answer;
  parser.data = &answer;
  char buffer[16384];
  while (!answer.complete) {
    const long got = connection_.read_some(buffer, sizeof buffer, deadline, result.error);
    if (got < 0) break;
    const std::size_t size = static_cast<std::size_t>(got);
    // Size 0 tells the parser the peer closed: an answer without a length ends there.
    const std::size_t parsed = http_parser_execute(&parser, &settings(), buffer, size);
    if (parser.http_errno != HPE_OK || parsed != size) {
      result.error = std::string("bad HTTP answer: ") +
                     http_errno_description(static_cast<http_errno>(parser.http_errno));
      break;
    }
    if (got == 0 && !answer.complete) {
      result.error = "closed by the receiver before answering";
      break;
    }
  }
  if (answer.complete) result.status = static_cast<int>(parser.status_code);
  if (!answer.complete || !answer.keep_alive) connection_.close();
  return result;
}

}  // namespace kite::server::webhooks
