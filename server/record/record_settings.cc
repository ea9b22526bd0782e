#include "record/record_settings.h"

#include <algorithm>

namespace kite::server::record {

bool RecordSettings::chooses(std::string_view device) const {
  if (every_connection()) return true;
  return std::binary_search(devices.begin(), devices.end(), device, std::less<>());
}

void RecordSettings::choose(std::vector<std::string> list) {
  std::sort(list.begin(), list.end());
  list.erase(std::unique(list.begin(), list.end()), list.end());
  devices = std::move(list);
}

}  // namespace kite::server::record
