#include "webhooks/answer_reader.h"

#include <string>

namespace kite::server::webhooks {
namespace {

const http_parser_settings& settings(http_cb on_complete) {
  static const http_parser_settings all = [on_complete] {
    http_parser_settings s{};
    http_parser_settings_init(&s);
    s.on_message_complete = on_complete;  // the body is skipped: no callback keeps it
    return s;
  }();
  return all;
}

}  // namespace

AnswerReader::AnswerReader() {
  http_parser_init(&parser_, HTTP_RESPONSE);
  parser_.data = this;
}

int AnswerReader::on_message_complete(http_parser* parser) {
  auto* reader = static_cast<AnswerReader*>(parser->data);
  reader->state_ = State::Complete;
  reader->keep_alive_ = http_should_keep_alive(parser) != 0;
  return 1;  // stop here: bytes after the answer are not this exchange's
}

AnswerReader::State AnswerReader::feed(const char* data, std::size_t size) {
  if (state_ != State::Partial) return state_;
  const std::size_t parsed =
      http_parser_execute(&parser_, &settings(on_message_complete), data, size);
  if (state_ == State::Complete) {
    if (parser_.status_code >= 100 && parser_.status_code <= 599) return state_;
    error_ = "bad HTTP answer: status " + std::to_string(parser_.status_code);  // http-parser
    return state_ = State::Bad;                                                 // takes 0..999
  }
  if (parser_.http_errno != HPE_OK || parsed != size) {
    error_ = std::string("bad HTTP answer: ") +
             http_errno_description(static_cast<http_errno>(parser_.http_errno));
    state_ = State::Bad;
  } else if (size == 0) {
    error_ = "closed by the receiver before answering";
    state_ = State::Bad;
  }
  return state_;
}

}  // namespace kite::server::webhooks
