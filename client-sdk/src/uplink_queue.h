// The device's uplink messages from publish() until they are done: queued while offline or
// without credit, then (QoS 1) kept after sending until the server acknowledges them, so that a
// session resumed on a new connection resends exactly what the server did not confirm.
//
// Bounded by a message count and a byte count, both checked at push(): the app learns at once
// that the queue is full instead of the device running out of memory while offline.
// Completions are not called here: they are handed back in a Finished list so that the client
// calls them after its own state is consistent (a completion may publish again).
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "kite/client.h"
#include "kite/protocol/session_types.h"
#include "session_codec.h"

namespace kite::sdk {

using Millis = std::int64_t;

struct Finished {
  Completion done;
  Error error;
  std::string detail;
};

class UplinkQueue {
 public:
  struct Entry {
    std::string payload;
    std::string topic;
    std::string content_type;
    bool at_least_once = true;
    std::uint32_t ttl_ms = 0;
    Millis queued_at = 0;
    std::uint64_t seq = 0;  // given when first sent (QoS 1); 0 until then
    Completion done;
    std::size_t bytes() const { return payload.size() + topic.size() + content_type.size(); }
  };

  UplinkQueue(std::size_t max_messages, std::size_t max_bytes)
      : max_messages_(max_messages), max_bytes_(max_bytes) {}

  Error push(const Publish& message, Completion done, Millis now);
  // Takes back the newest push (it could not be saved).
  void drop_newest();
  // An entry read from a session file: queued without a completion, over the limits if the
  // file holds more than they allow now (what was accepted is not dropped).
  void restore(const SavedEntry& saved, Millis now);
  // Every entry as a session file keeps it.
  void save(std::vector<SavedEntry>& out, Millis now) const;

  // Sends what has not been sent on this connection, in order, through `send` (which returns
  // the session's status and, for QoS 1, the seq it used). Stops at the first entry the session
  // cannot take now (no credit); entries it can never take are finished with an error.
  template <typename Send>
  void pump(Send&& send, Millis now, std::vector<Finished>& finished);

  // The server confirmed every QoS 1 message up to `seq`.
  void acked(std::uint64_t seq, std::vector<Finished>& finished);
  // The server refused the message `seq` (an error frame naming it).
  void refused(std::uint64_t seq, std::string_view why, std::vector<Finished>& finished);
  // A new connection opened. Resumed: the server holds our messages up to `peer_holds`, the
  // rest is resent with the same seqs. Not resumed: the server forgot us, everything not
  // confirmed goes again as new messages.
  void reopened(bool resumed, std::uint64_t peer_holds, std::vector<Finished>& finished);
  void fail_all(Error error, std::string_view why, std::vector<Finished>& finished);

  std::size_t size() const { return entries_.size(); }
  std::size_t bytes() const { return bytes_; }
  // Grows with every change a session file would see (an entry added, sent, or gone).
  std::uint64_t changes() const { return changes_; }

 private:
  void finish(std::size_t index, Error error, std::string_view why,
              std::vector<Finished>& finished);

  std::size_t max_messages_;
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::size_t sent_ = 0;  // entries [0, sent_) went out on the current connection
  std::uint64_t changes_ = 0;
  std::deque<Entry> entries_;
};

// What a send attempt made of an entry.
struct SendResult {
  protocol::SendStatus status;
  std::uint64_t seq = 0;
};

template <typename Send>
void UplinkQueue::pump(Send&& send, Millis now, std::vector<Finished>& finished) {
  while (sent_ < entries_.size()) {
    Entry& entry = entries_[sent_];
    std::uint32_t ttl_left = 0;
    if (entry.ttl_ms != 0) {
      Millis waited = now - entry.queued_at;
      if (waited >= entry.ttl_ms) {
        finish(sent_, Error::Expired, "expired while queued", finished);
        continue;
      }
      ttl_left = static_cast<std::uint32_t>(entry.ttl_ms - waited);
    }
    SendResult result = send(entry, ttl_left);
    switch (result.status) {
      case protocol::SendStatus::Sent:
        if (!entry.at_least_once) {
          finish(sent_, Error::Ok, {}, finished);  // written: QoS 0 is done
        } else {
          if (entry.seq != result.seq) ++changes_;
          entry.seq = result.seq;
          ++sent_;
        }
        break;
      case protocol::SendStatus::TooLarge:
        finish(sent_, Error::TooLarge, "larger than the server's frame limit", finished);
        break;
      case protocol::SendStatus::Invalid:
      case protocol::SendStatus::OutOfOrder:
      case protocol::SendStatus::WrongRole:
        finish(sent_, Error::Invalid, "the session refused the message", finished);
        break;
      case protocol::SendStatus::NoCredit:
      case protocol::SendStatus::NotOpen:
        return;  // later: when credit comes, or on the next connection
    }
  }
}

}  // namespace kite::sdk
