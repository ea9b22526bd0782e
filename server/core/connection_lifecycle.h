// The stages of one device or service connection (connection.h), and which shared resources each
// stage holds. One enum instead of a flag per resource: what is held follows from where the
// connection is, so no path can release a count twice or forget one.
//
//  accept,      admitted (per-IP    welcome(): route         on_open()
//  gate entered unauthenticated cap) or directory claimed
//  ──▶ Accepted ──────────────▶ Handshaking ───────────▶ Welcoming ──────────▶ Open
//         │                         │                        │                   │
//         │ refused                 │ refused, timed out,    │ accept() failed   │ goaway, kick,
//         │                         │ peer gone              │                   │ error, peer gone
//         ▼                         ▼                        ▼                   ▼
//      ────────────── on_close() (the session's end), then close_socket() ─────────▶ Closing
//                                                             Closing ── on_closed() ──▶ deleted
//
//  held                      Accepted  Handshaking  Welcoming  Open  Closing   released in
//  gate count (per IP) [1]      ●          ●            ●       ●      ●       on_closed()
//  admission count and          ·          ●            ●       ·      ● [2]   on_open(), else
//    the handshaking gauge                                                     on_closed()
//  registry route, or the       ·          ·            ●       ●      ·       on_close()
//    service directory entry
//  open gauge (devices or       ·          ·            ·       ●      ·       on_close()
//    services)
//
//  [1] only when the device port's gate counts (a per-IP cap is set: common/peer_gate.h)
//  [2] only when it closed before Open: a handshake holds its admission until its socket is
//      closed, so a stranger cannot open more than the cap by being refused quickly
//
// Rules it keeps:
//  - stages only move forward, along the arrows; a transition not drawn is refused (returns
//    false, changes nothing), and Closing is entered once;
//  - on_close() releases by the stage the session ended in, then enters Closing: after that the
//    connection holds only what its socket holds (the gate count, an unfinished handshake's
//    admission), released when libuv has closed the socket.
#pragma once

#include <cstdint>

namespace kite::server {

class ConnectionLifecycle {
 public:
  enum class Stage : std::uint8_t { Accepted, Handshaking, Welcoming, Open, Closing };

  Stage stage() const { return stage_; }
  bool closing() const { return stage_ == Stage::Closing; }

  // The gate admitted the connection and counted it (PeerGate::Admission::counted).
  void count_by_gate(bool counted) { gate_counted_ = counted; }
  // Accepted -> Handshaking, Handshaking -> Welcoming, Welcoming -> Open; any other -> Closing.
  // False, and nothing changes, for a transition the drawing does not have.
  bool admit() { return advance(Stage::Accepted, Stage::Handshaking); }
  bool welcome() { return advance(Stage::Handshaking, Stage::Welcoming); }
  bool open() { return advance(Stage::Welcoming, Stage::Open); }
  bool close();

  bool holds_gate_count() const { return gate_counted_; }
  bool holds_admission() const;
  bool holds_route() const { return stage_ == Stage::Welcoming || stage_ == Stage::Open; }
  bool counted_open() const { return stage_ == Stage::Open; }

 private:
  bool advance(Stage from, Stage to);
  static bool handshaking(Stage at) { return at == Stage::Handshaking || at == Stage::Welcoming; }

  Stage stage_ = Stage::Accepted;
  Stage closed_from_ = Stage::Accepted;  // the stage Closing was entered from
  bool gate_counted_ = false;
};

}  // namespace kite::server
