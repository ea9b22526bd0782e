// The field table, assembled from the section files of fields/ (one per [section]), and the
// lookups over it.
#include "config/field_table.h"

#include "config/fields/sections.h"

namespace kite::server::config {
namespace {

const std::vector<fields::ConfigSection>& sections() {
  static const std::vector<fields::ConfigSection> all{
      fields::server_section(),  fields::device_section(), fields::auth_section(),
      fields::admin_section(),   fields::tls_section(),    fields::websocket_section(),
      fields::session_section(), fields::store_section(),  fields::redis_section(),
      fields::events_section(),  fields::record_section(), fields::compression_section(),
      fields::log_section(),
  };
  return all;
}

}  // namespace

const std::vector<FieldSpec>& field_table() {
  static const std::vector<FieldSpec> table = [] {
    std::vector<FieldSpec> rows;
    for (const auto& section : sections())
      rows.insert(rows.end(), section.rows.begin(), section.rows.end());
    return rows;
  }();
  return table;
}

const std::vector<std::string_view>& config_sections() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& section : sections()) out.push_back(section.name);
    return out;
  }();
  return names;
}

std::string_view section_doc(std::string_view name) {
  for (const auto& section : sections())
    if (section.name == name) return section.doc;
  return {};
}

const FieldSpec* find_field(std::string_view section, std::string_view key) {
  for (const auto& field : field_table()) {
    if (field.section == section && field.key == key) return &field;
  }
  return nullptr;
}

}  // namespace kite::server::config
