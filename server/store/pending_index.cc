// PendingIndex; see pending_index.h.
#include "store/pending_index.h"

#include <functional>

namespace kite::server::store {

PendingIndex::Key PendingIndex::key(std::string_view bytes) {
  return {bytes, std::hash<std::string_view>{}(bytes)};
}

}  // namespace kite::server::store
