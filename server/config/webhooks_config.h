// The [[webhooks]] tables of the config: where kited POSTs device events (docs/webhooks.md).
//
//   [[webhooks]]
//   name = "billing"
//   url = "https://hooks.example.com/kite"
//   types = ["uplink"]
//   secret_file = "/etc/kite/billing.secret"
//
// Top-level tables read from the TOML file only (the environment and --set have no form for
// them), like [[admin.tokens]]. Internal to server/config/: load.cc reads them, validate() checks
// them, the default file shows them.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <toml++/toml.h>

#include "config/config.h"
#include "config/validate.h"

namespace kite::server::config {

inline constexpr std::size_t kMaxWebhooks = 16;  // one sender thread each

// The reference text shown above "webhooks = []" in the default file.
std::string_view webhooks_doc();

// The [[webhooks]] array into config.webhooks: "" or what is wrong ("[1]: url: ...").
std::string read_webhooks(Config& config, const toml::node& node);
// As an inline array of inline tables, which reads back to the same entries.
std::string write_webhooks(const Config& config, bool redact_secrets);

// Every entry's names, URL, types, ids, secret and limits; problems keyed "webhooks[i]".
void check_webhooks(const Config& config, std::vector<Problem>& out);

}  // namespace kite::server::config
