#include "core/peer_role.h"

#include "core/device_role.h"
#include "core/service_role.h"

namespace kite::server {

// The one place the id's kind matters to a connection: every later difference is the role's.
std::unique_ptr<PeerRole> choose_role(Connection& connection, std::string_view id,
                                      const ResumeClaim& resume) {
  if (is_service_id(id)) return std::make_unique<ServiceRole>(connection);
  return std::make_unique<DeviceRole>(connection, resume);
}

}  // namespace kite::server
