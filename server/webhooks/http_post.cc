#include "webhooks/http_post.h"

#include <fmt/format.h>

#include "webhooks/answer_reader.h"

namespace kite::server::webhooks {

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
  AnswerReader answer;
  char buffer[16384];
  while (answer.state() == AnswerReader::State::Partial) {
    const long got = connection_.read_some(buffer, sizeof buffer, deadline, result.error);
    if (got < 0) break;
    if (answer.feed(buffer, static_cast<std::size_t>(got)) == AnswerReader::State::Bad)
      result.error = answer.error();
  }
  result.status = answer.status();
  if (result.status == 0 || !answer.keep_alive()) connection_.close();
  return result;
}

}  // namespace kite::server::webhooks
