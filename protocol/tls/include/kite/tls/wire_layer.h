// WireLayer: a layer of the wire pipe (wire_pipe.h) between the plaintext stream and the session,
// that frames the session's bytes for a transport other than raw TCP: a WebSocket
// (kite/websocket/layer.h). It has an opening exchange of its own (an HTTP upgrade) before the
// session's bytes may pass, answers its own control messages (pongs) without the session, and
// says goodbye its own way (a Close frame carrying the session's reason). Sans-IO.
//
// A layer may only open, then hand over: kited's entry layer reads one HTTP request and passes
// the connection to the layer it asks for (a WebSocket, or the HTTP fallback's event stream),
// which the pipe takes from take_successor() after the read that decided it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "kite/protocol/session.h"

namespace kite::tls {

class WireLayer {
 public:
  virtual ~WireLayer() = default;
  // Bytes from the peer (the layer may rewrite them in place: unmasking). The session's share
  // goes to `session`, if there is one.
  virtual void receive(std::span<std::uint8_t> bytes, protocol::Session* session,
                       protocol::Millis now) = 0;
  // The opening exchange is done: the session's bytes pass both ways.
  virtual bool open() const = 0;
  // The layer is over: its peer closed it, broke its rules or refused the opening. The host
  // sends what output() holds (the answer to it) and closes; why() says what happened.
  virtual bool ended() const = 0;
  virtual std::string why() const = 0;
  // Appends to `out` the layer's own bytes, then `session_bytes` framed (dropped unless open()).
  virtual void write(std::span<const std::uint8_t> session_bytes,
                     std::vector<std::uint8_t>& out) = 0;
  virtual bool has_output() const = 0;
  // The session ended with `reason`: the layer's goodbye goes with the host's last output.
  virtual void end(protocol::Reason reason) = 0;
  // The layer that carries the connection from now on, once (its output comes with it); null
  // while this one does.
  virtual std::unique_ptr<WireLayer> take_successor() { return nullptr; }
};

}  // namespace kite::tls
