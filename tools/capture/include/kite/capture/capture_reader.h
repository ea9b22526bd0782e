// One or more capture files read as one time-ordered stream of events: Kite recordings (link
// type 147, docs/recording.md) and tcpdump captures of the Kite port (the other link types of
// packet_parser.h), in any mix. This is what `kite decode` prints and `kite replay` plays.
//
// Rules it keeps:
//  - packets are merged across inputs by timestamp before anything else (the earliest head
//    first; on a tie, the input given first), so a TCP connection split over rotated tcpdump
//    files is put together as one; the events then wait in a TimeOrder (time_order.h) for a
//    window of capture time, so that what an input holds slightly out of order (a recording's
//    held handshakes) comes out in time order too, each connection's events in their own order;
//  - a frame cut from a TCP stream takes the time of the packet that completed it;
//  - an input that cannot be opened, is not classic pcap, has a link type not read here, or
//    ends corrupt or cut short stops with an error (inputs()); the events before the error and
//    the other inputs go on;
//  - memory is bounded per connection direction (kDefaultMaxOutOfOrder of out-of-order data,
//    one frame being cut) and per input (one record), never by the size of a file.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kite/capture/byte_source.h"
#include "kite/capture/event.h"
#include "kite/capture/packet_parser.h"
#include "kite/capture/pcap_reader.h"
#include "kite/capture/recording.h"
#include "kite/capture/stream_reassembler.h"
#include "kite/capture/tcp_tracker.h"
#include "kite/capture/time_order.h"

namespace kite::capture {

struct CaptureOptions {
  std::uint16_t server_port = 7000;                          // TCP captures: the Kite server's port
  std::size_t max_out_of_order = kDefaultMaxOutOfOrder;      // per TCP connection direction
  std::int64_t reorder_window_ns = kDefaultReorderWindowNs;  // see TimeOrder
};

struct CaptureInput {
  std::string name;                    // for messages: the path as given ("-" for stdin)
  std::unique_ptr<ByteSource> source;  // null when it could not be opened: see `error`
  std::string error;                   // why it could not be opened
  std::uint32_t origin = 0;            // recordings: see ConnectionKey::origin
};

// How far an input was read.
struct InputState {
  std::string name;
  std::uint32_t link_type = 0;  // from its file header (0 if it had none)
  std::uint64_t packets = 0;    // records read
  std::string error;            // what stopped it early; empty if it was read to its end
  bool recording() const { return link_type == link_type::kKiteRecording; }
};

struct CaptureStats {
  std::uint64_t packets = 0;                          // records read, all inputs
  std::array<std::uint64_t, kSkipReasons> skipped{};  // tcpdump packets, by Skip (None: used)
  std::uint64_t cut_short = 0;            // TCP segments the snaplen cut (their stream has a gap)
  std::uint64_t other_port_segments = 0;  // TCP segments not to or from the server port
  std::uint64_t tcp_connections = 0;
};

class CaptureReader {
 public:
  explicit CaptureReader(std::vector<CaptureInput> inputs, CaptureOptions options = {});
  // Opens `paths` ("-" is stdin) as inputs of origin 0.
  static std::vector<CaptureInput> open_files(const std::vector<std::string>& paths);

  // The next event in time order; false once every input is done.
  bool next(Event& event);

  // One per input, in the order given.
  const std::vector<InputState>& inputs() const { return states_; }
  // Every input was read to its end (so far: check after next() returned false).
  bool all_read() const;
  const CaptureStats& stats() const { return stats_; }

 private:
  struct Source {
    CaptureInput input;
    std::unique_ptr<PcapReader> reader;
    Packet head;  // the next packet, when has_head
    bool has_head = false;
  };

  void open(std::size_t index);
  void read_head(std::size_t index);
  // Handles the earliest packet of all inputs; false when there is none left.
  bool take_earliest();
  void handle(std::size_t index, const Packet& packet);

  CaptureOptions options_;
  std::vector<Source> sources_;
  std::vector<InputState> states_;
  std::map<std::uint32_t, RecordingDecoder> recordings_;  // by origin
  TcpTracker tracker_;
  TimeOrder order_;
  std::vector<Event> scratch_;
  SegmentContext last_;  // the last packet handled: the time the end of the capture is told at
  bool finished_ = false;
  CaptureStats stats_;
};

}  // namespace kite::capture
