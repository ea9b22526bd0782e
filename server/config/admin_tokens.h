// The [[admin.tokens]] tables of the config: named bearer tokens of the HTTP API with scopes.
//
//   [[admin.tokens]]
//   name = "billing-backend"
//   token_sha256 = "9f86d0..."   # or token = "...", the secret itself
//   scopes = ["send", "read"]
//
// They are read from the TOML file only (a table has no one-line form for the environment or
// --set); a token_sha256 keeps the secret out of the file anyway. Internal to server/config/:
// the field table uses the row, validate() the checks.
#pragma once

#include <string_view>
#include <vector>

#include "config/field_table.h"
#include "config/validate.h"

namespace kite::server::config {

inline constexpr std::string_view kScopeNames[] = {"send", "read", "admin"};

// The field table row of admin.tokens.
FieldSpec admin_tokens_row(std::string_view doc);

// Names, secrets and scopes of every entry; problems are keyed "admin.tokens[i]".
void check_admin_tokens(const AdminConfig& admin, std::vector<Problem>& out);

}  // namespace kite::server::config
