#include "keys/keys.h"

#include <cstdio>
#include <ctime>
#include <memory>

#include "common/duration.h"
#include "common/exit_code.h"
#include "common/ids.h"
#include "flags/key_flags.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"
#include "kite/protocol/limits.h"
#include "kite/protocol/token.h"

namespace kite::cli {
namespace {

struct KeysOptions {
  KeySource master_key;
  std::vector<std::string> devices;
  KeySource token_key;
  std::string device;
  std::string ttl = "24h";
  std::vector<std::string> groups;
};

int usage_error(const char* command, const std::string& problem) {
  std::fprintf(stderr, "kite keys %s: %s\n", command, problem.c_str());
  return kExitUsage;
}

int run_derive(const KeysOptions& o) {
  std::string error;
  auto master = read_key(o.master_key, error);
  if (!master) return usage_error("derive", error);
  for (const auto& device : o.devices)
    if (auto problem = device_id_problem(device, /*allow_service=*/false); !problem.empty())
      return usage_error("derive", problem);
  for (const auto& device : o.devices) {
    const protocol::DeviceKey key = protocol::derive_device_key(*master, device);
    std::printf("%s %s\n", protocol::hex_encode(key).c_str(), device.c_str());
  }
  return kExitOk;
}

int run_token(const KeysOptions& o) {
  std::string error;
  auto signing_key = read_key(o.token_key, error);
  if (!signing_key) return usage_error("token", error);
  if (auto problem = device_id_problem(o.device, /*allow_service=*/false); !problem.empty())
    return usage_error("token", problem);
  if (o.groups.size() > protocol::limits::kGroupsPerDevice)
    return usage_error("token", "a device is in at most 256 groups");
  for (const auto& group : o.groups)
    if (auto problem = group_problem(group); !problem.empty()) return usage_error("token", problem);
  const std::uint64_t ttl_s = *parse_duration_ms(o.ttl) / 1000;
  if (ttl_s == 0) return usage_error("token", "--ttl must be at least 1s");
  protocol::TokenClaims claims;
  claims.device_id = o.device;
  claims.groups = o.groups;
  claims.issued_at_s = static_cast<std::uint64_t>(std::time(nullptr));
  claims.expires_at_s = claims.issued_at_s + ttl_s;
  const std::string token = protocol::mint_token(*signing_key, claims);
  if (token.size() > protocol::kMaxTokenLength)
    return usage_error("token", "the token would be " + std::to_string(token.size()) +
                                    " bytes, above kited's 4096: name fewer groups");
  std::printf("%s\n", token.c_str());
  return kExitOk;
}

// Exactly one of --KEY, --KEY-file and the variable (which only stands in for the options).
void require_key(CLI::App& command, const std::string& name, const std::string& environment,
                 const std::string& what, KeySource& source) {
  add_key_source(command, name, environment, what, source);
  command.callback([&source, name] {
    if (!source.given()) throw CLI::RequiredError("--" + name + " or --" + name + "-file");
  });
}

}  // namespace

void add_keys_commands(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<KeysOptions>();
  auto* keys = app.add_subcommand("keys", "Device keys and tokens, computed here (no server)");
  keys->require_subcommand(1);

  auto* derive = keys->add_subcommand(
      "derive",
      "Print each device's key, HMAC-SHA256(master key, device id), as \"KEY DEVICE\" lines "
      "(KEY: 64 hex digits): what a device presents with the Hmac method");
  require_key(*derive, "master-key", "KITE_AUTH_MASTER_KEY", "the fleet master key", o->master_key);
  derive->add_option("devices", o->devices, "device ids")->required()->type_name("DEVICE");
  commands.push_back({derive, [o] { return run_derive(*o); }});

  auto* token = keys->add_subcommand(
      "token",
      "Print a signed, expiring token for one device (the Token method); kited accepts it when "
      "its auth.token_key is the same key");
  require_key(*token, "token-key", "KITE_AUTH_TOKEN_KEY",
              "the token signing key (kited's auth.token_key)", o->token_key);
  token->add_option("--device", o->device, "the device the token is for")->required();
  token->add_option("--ttl", o->ttl, "lifetime: ms or with a unit (30m, 24h, 7d)")
      ->check(kDuration)
      ->capture_default_str();
  token->add_option("--group", o->groups,
                    "a group the device joins when it connects with the token (repeat it)");
  commands.push_back({token, [o] { return run_token(*o); }});
}

}  // namespace kite::cli
