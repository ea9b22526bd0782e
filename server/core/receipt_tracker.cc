#include "core/receipt_tracker.h"

#include <algorithm>
#include <cstring>

namespace kite::server {
namespace {
constexpr std::size_t kKeepCapacity = 256;  // a drained tracker above this gives its memory back
}

void ReceiptTracker::sent(std::uint64_t seq, std::string_view message_id) {
  if (!sent_.empty() && seq <= sent_.back().seq) return;  // a resend: already tracked
  Sent entry{seq, static_cast<std::uint8_t>(std::min(message_id.size(), kMaxId)), {}};
  std::memcpy(entry.id, message_id.data(), entry.length);
  sent_.push_back(entry);
}

void ReceiptTracker::release(std::size_t count) {
  if (count == 0) return;
  sent_.erase(sent_.begin(), sent_.begin() + static_cast<std::ptrdiff_t>(count));
  if (sent_.empty() && sent_.capacity() > kKeepCapacity) std::vector<Sent>().swap(sent_);
}

}  // namespace kite::server
