// ReceiptTracker: the stored messages a connection has sent and the device has not yet
// acknowledged, by seq, so that its cumulative ack can be turned into one delivery receipt per
// message (with the message id the sender was given).
//
// Rules: seqs are added in increasing order (a connection sends its queue in order); an ack
// through N releases every entry up to N. Ids longer than kMaxId are not expected (the store's
// ids are 26 characters) and are cut. Empty, it holds no heap memory once drained past a burst.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace kite::server {

class ReceiptTracker {
 public:
  static constexpr std::size_t kMaxId = 31;

  void sent(std::uint64_t seq, std::string_view message_id);
  // Calls visit(seq, message_id) for every tracked message up to `through`, oldest first, and
  // forgets them.
  template <typename Visit>
  void acked(std::uint64_t through, Visit visit) {
    std::size_t n = 0;
    for (; n < sent_.size() && sent_[n].seq <= through; ++n)
      visit(sent_[n].seq, std::string_view(sent_[n].id, sent_[n].length));
    release(n);
  }
  std::size_t size() const { return sent_.size(); }

 private:
  struct Sent {
    std::uint64_t seq;
    std::uint8_t length;
    char id[kMaxId];
  };
  void release(std::size_t count);

  std::vector<Sent> sent_;
};

}  // namespace kite::server
