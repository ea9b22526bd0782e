// AnswerReader: one HTTP answer read as its bytes arrive (http-parser, the library the admin API's
// server parses requests with), for the status a webhook receiver gave. The body is not kept:
// the status is the answer, and a receiver's body cannot grow kited's memory.
#pragma once

#include <http_parser.h>

#include <cstddef>
#include <string>

namespace kite::server::webhooks {

class AnswerReader {
 public:
  enum class State { Partial, Complete, Bad };

  AnswerReader();
  AnswerReader(const AnswerReader&) = delete;
  AnswerReader& operator=(const AnswerReader&) = delete;

  // The next bytes of the answer; size 0 says the receiver closed (an answer without a length
  // ends there). Once Complete or Bad, further bytes are not read. A status outside 100..599
  // is Bad.
  State feed(const char* data, std::size_t size);
  State state() const { return state_; }
  int status() const {
    return state_ == State::Complete ? static_cast<int>(parser_.status_code) : 0;
  }
  bool keep_alive() const { return keep_alive_; }
  const std::string& error() const { return error_; }  // why Bad

 private:
  static int on_message_complete(http_parser* parser);

  http_parser parser_{};
  State state_ = State::Partial;
  bool keep_alive_ = false;
  std::string error_;
};

}  // namespace kite::server::webhooks
