// The sections of kited's configuration, one file each: a section's name, its reference text
// and its rows (field_table.h), in the order of the default file. Adding a section is a file
// here and a line in field_table.cc's list.
#pragma once

#include <string_view>
#include <vector>

#include "config/field_table.h"

namespace kite::server::config::fields {

struct ConfigSection {
  std::string_view name;  // the TOML table
  std::string_view doc;   // the section's reference text
  std::vector<FieldSpec> rows;
};

ConfigSection server_section();
ConfigSection device_section();
ConfigSection auth_section();
ConfigSection admin_section();
ConfigSection tls_section();
ConfigSection websocket_section();
ConfigSection session_section();
ConfigSection store_section();
ConfigSection redis_section();
ConfigSection events_section();
ConfigSection record_section();
ConfigSection compression_section();
ConfigSection log_section();

}  // namespace kite::server::config::fields
