// ResponseQueue: keeps the responses of one connection in request order, whatever order the
// handlers produce them in (pipelining with asynchronous handlers). Sans-IO: bytes in, bytes out.
//
//   front                                                   back
//   [ slot 7: Streaming ][ slot 8: Done ][ slot 9: Waiting ]
//     bytes leave now      bytes wait      no bytes yet
//
// Rules: only the front slot's bytes may be taken; a slot leaves the queue when it is Done and
// all its bytes were taken. A slot opened with close_after (or completed with it) ends the
// connection: take() reports it, and the slots behind it will never be answered.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <vector>

namespace kite::server::http {

class ResponseQueue {
 public:
  enum class State : std::uint8_t { Waiting, Streaming, Done };

  struct Slot {
    std::uint64_t sequence;
    State state = State::Waiting;
    bool close_after = false;
    std::string bytes;               // produced, not yet taken
    std::function<void()> on_close;  // see Responder::on_close
  };

  // Opens the slot of a new request; returns its sequence number.
  std::uint64_t open(bool close_after);
  // The slot of this request while it is still in the queue, else null.
  Slot* find(std::uint64_t sequence);

  struct Ready {
    std::string bytes;   // to write now, in this order
    bool close = false;  // a finished slot asked to close the connection after these bytes
  };
  Ready take();

  // Removes every slot and returns their close callbacks (the connection is going away).
  std::vector<std::function<void()>> clear();

  bool empty() const { return slots_.empty(); }
  std::size_t size() const { return slots_.size(); }

 private:
  std::deque<Slot> slots_;
  std::uint64_t next_sequence_ = 1;
};

}  // namespace kite::server::http
