// The [[webhooks]] tables; see webhooks_config.h.
#include "config/webhooks_config.h"

#include <fmt/format.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <utility>

#include "common/http_url.h"
#include "config/field_table.h"
#include "config/toml_text.h"

namespace kite::server::config {
namespace {

constexpr std::size_t kMaxNameChars = 64;
constexpr std::size_t kMinSecretChars = 16;
constexpr std::size_t kMaxFilterItems = 1000;

using Reader = std::function<std::string(WebhookConfig&, const toml::node&)>;

Reader string_key(std::string WebhookConfig::*member) {
  return [member](WebhookConfig& hook, const toml::node& node) -> std::string {
    if (!node.is_string()) return "expected a string, got " + describe_node(node);
    hook.*member = node.as_string()->get();
    return {};
  };
}

Reader list_key(std::vector<std::string> WebhookConfig::*member) {
  return [member](WebhookConfig& hook, const toml::node& node) -> std::string {
    const toml::array* array = node.as_array();
    if (!array) return "expected an array of strings, got " + describe_node(node);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (!array->get(i)->is_string())
        return fmt::format("expected an array of strings, got {} at index {}",
                           describe_node(*array->get(i)), i);
      values.push_back(array->get(i)->as_string()->get());
    }
    hook.*member = std::move(values);
    return {};
  };
}

template <typename T>
Reader integer_key(T WebhookConfig::*member, std::int64_t min, std::int64_t max) {
  return [=](WebhookConfig& hook, const toml::node& node) -> std::string {
    const std::int64_t value = node.is_integer() ? node.as_integer()->get() : min - 1;
    if (!node.is_integer() || value < min || value > max)
      return fmt::format("expected an integer {}..{}, got {}", min, max, describe_node(node));
    hook.*member = static_cast<T>(value);
    return {};
  };
}

const std::vector<std::pair<std::string, Reader>>& readers() {
  static const std::vector<std::pair<std::string, Reader>> all = {
      {"name", string_key(&WebhookConfig::name)},
      {"url", string_key(&WebhookConfig::url)},
      {"types", list_key(&WebhookConfig::types)},
      {"devices", list_key(&WebhookConfig::devices)},
      {"groups", list_key(&WebhookConfig::groups)},
      {"secret", string_key(&WebhookConfig::secret)},
      {"secret_file", string_key(&WebhookConfig::secret_file)},
      {"ca_file", string_key(&WebhookConfig::ca_file)},
      {"batch_max_events", integer_key(&WebhookConfig::batch_max_events, 1, 1000)},
      {"timeout_ms", integer_key(&WebhookConfig::timeout_ms, 100, 300000)},
      {"retry_base_ms", integer_key(&WebhookConfig::retry_base_ms, 10, 600000)},
      {"retry_max_ms", integer_key(&WebhookConfig::retry_max_ms, 10, 3600000)},
      {"max_attempts", integer_key(&WebhookConfig::max_attempts, 1, 1000000)},
  };
  return all;
}

std::string read_entry(const toml::table& table, WebhookConfig& hook) {
  for (auto&& entry : table) {
    // Not a structured binding: clang 14 cannot capture one in the lambda below.
    const std::string_view key = entry.first.str();
    const toml::node& value = entry.second;
    const auto& all = readers();
    auto it = std::find_if(all.begin(), all.end(),
                           [key](const auto& reader) { return reader.first == key; });
    if (it == all.end()) {
      std::vector<std::string> keys;
      for (const auto& reader : all) keys.push_back(reader.first);
      auto match = closest_match(key, keys);
      return fmt::format(
          "unknown key {}{}", toml_quoted(key),
          match.empty() ? std::string() : fmt::format(" (did you mean {}?)", toml_quoted(match)));
    }
    if (auto problem = it->second(hook, value); !problem.empty())
      return fmt::format("{}: {}", key, problem);
  }
  return {};
}

std::string quoted_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + toml_quoted(item);
  return "[" + out + "]";
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameChars &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

std::string filters_problem(const WebhookConfig& hook, const EventsConfig& events) {
  // A webhook can only be sent what the log records; events.types is checked against the event
  // type names itself, so this list follows it when types are added.
  for (const auto& type : hook.types) {
    if (std::find(events.types.begin(), events.types.end(), type) == events.types.end())
      return fmt::format("types: expected one of the recorded types (events.types): {}; got {}",
                         quoted_list(events.types), toml_quoted(type));
  }
  if (hook.devices.size() > kMaxFilterItems || hook.groups.size() > kMaxFilterItems)
    return fmt::format("devices, groups: at most {} each", kMaxFilterItems);
  for (const auto& device : hook.devices) {
    if (auto problem = device_id_problem(device); !problem.empty()) return "devices: " + problem;
  }
  for (const auto& group : hook.groups) {
    if (group.empty() || group.size() > 128 || group.find('/') != std::string::npos)
      return fmt::format("groups: a group name is 1-128 bytes without '/', got {}",
                         toml_quoted(group));
  }
  return {};
}

// Not quoted: a secret must not reach the terminal.
std::string secret_problem(const WebhookConfig& hook, Mode mode) {
  if (!hook.secret.empty() && !hook.secret_file.empty())
    return "give secret or secret_file, not both";
  if (!hook.secret.empty() && hook.secret.size() < kMinSecretChars)
    return fmt::format("secret: expected {}+ characters, got {}", kMinSecretChars,
                       hook.secret.size());
  if (!hook.secret_file.empty() && !std::ifstream(hook.secret_file))
    return fmt::format("secret_file: cannot read {}", toml_quoted(hook.secret_file));
  if (mode == Mode::production && hook.secret.empty() && hook.secret_file.empty())
    return "production mode needs a secret (or secret_file) to sign the webhook's requests";
  return {};
}

std::string entry_problem(const Config& config, std::size_t i) {
  const WebhookConfig& hook = config.webhooks[i];
  if (!valid_name(hook.name))
    return fmt::format("name: expected 1-{} letters, digits, '.', '_' or '-', got {}",
                       kMaxNameChars, toml_quoted(hook.name));
  for (std::size_t j = 0; j < i; ++j) {
    if (config.webhooks[j].name == hook.name)
      return fmt::format("name {} is also webhooks[{}]'s", toml_quoted(hook.name), j);
  }
  HttpUrl url;
  if (auto problem = parse_http_url(hook.url, url); !problem.empty())
    return fmt::format("url: {}, got {}", problem, toml_quoted(hook.url));
  if (auto problem = filters_problem(hook, config.events); !problem.empty()) return problem;
  if (auto problem = secret_problem(hook, config.server.mode); !problem.empty()) return problem;
  if (!hook.ca_file.empty() && !std::ifstream(hook.ca_file))
    return fmt::format("ca_file: cannot read {}", toml_quoted(hook.ca_file));
  if (hook.retry_max_ms < hook.retry_base_ms)
    return fmt::format("retry_max_ms ({}) is below retry_base_ms ({})", hook.retry_max_ms,
                       hook.retry_base_ms);
  return {};
}

}  // namespace

std::string_view webhooks_doc() {
  return "Webhooks: kited POSTs batches of device events, signed, to each receiver\n"
         "(docs/webhooks.md), as top-level [[webhooks]] tables (file only):\n"
         "  [[webhooks]]\n"
         "  name = \"billing\"                        # unique; in logs, metrics, headers\n"
         "  url = \"https://hooks.example.com/kite\"  # http:// or https://\n"
         "  types = [\"uplink\"]                      # of events.types; empty = all\n"
         "  devices = []                            # device ids; empty = any\n"
         "  groups = []                             # device groups; empty = any\n"
         "  secret_file = \"/etc/kite/billing.secret\"  # or secret = \"<16+ characters>\"\n"
         "  ca_file = \"\"                            # PEM CAs for https; empty = system store\n"
         "  batch_max_events = 100                  # 1..1000 events per request\n"
         "  timeout_ms = 10000                      # 100..300000, per request\n"
         "  retry_base_ms = 500                     # back-off with full jitter, doubling...\n"
         "  retry_max_ms = 60000                    # ...up to this\n"
         "  max_attempts = 20                       # then the batch is dead-lettered\n"
         "The tables replace the \"webhooks = []\" line below (they may go anywhere in the\n"
         "file). A secret is required in production mode. At most 16 webhooks; each has\n"
         "its own sender thread and cursor in the store. Needs a restart.";
}

std::string read_webhooks(Config& config, const toml::node& node) {
  const toml::array* array = node.as_array();
  if (!array) return "expected [[webhooks]] tables, got " + describe_node(node);
  std::vector<WebhookConfig> hooks;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::table* table = array->get(i)->as_table();
    if (!table)
      return fmt::format("[{}]: expected a table, got {}", i, describe_node(*array->get(i)));
    WebhookConfig hook;
    if (auto problem = read_entry(*table, hook); !problem.empty())
      return fmt::format("[{}]: {}", i, problem);
    hooks.push_back(std::move(hook));
  }
  config.webhooks = std::move(hooks);
  return {};
}

std::string write_webhooks(const Config& config, bool redact_secrets) {
  std::string out = "[";
  for (const WebhookConfig& hook : config.webhooks) {
    if (out.size() > 1) out += ", ";
    out += fmt::format("{{ name = {}, url = {}, types = {}, devices = {}, groups = {}",
                       toml_quoted(hook.name), toml_quoted(hook.url), quoted_list(hook.types),
                       quoted_list(hook.devices), quoted_list(hook.groups));
    if (!hook.secret.empty())
      out += fmt::format(", secret = {}",
                         redact_secrets ? "\"<redacted>\"" : toml_quoted(hook.secret));
    if (!hook.secret_file.empty())
      out += fmt::format(", secret_file = {}", toml_quoted(hook.secret_file));
    if (!hook.ca_file.empty()) out += fmt::format(", ca_file = {}", toml_quoted(hook.ca_file));
    out += fmt::format(
        ", batch_max_events = {}, timeout_ms = {}, retry_base_ms = {}, retry_max_ms = {}, "
        "max_attempts = {} }}",
        hook.batch_max_events, hook.timeout_ms, hook.retry_base_ms, hook.retry_max_ms,
        hook.max_attempts);
  }
  return out + "]";
}

void check_webhooks(const Config& config, std::vector<Problem>& out) {
  if (!config.webhooks.empty() && config.events.retention_events == 0)
    out.push_back({"webhooks", "webhooks send the event log: set events.retention_events above 0"});
  if (config.webhooks.size() > kMaxWebhooks)
    out.push_back({"webhooks", fmt::format("at most {} webhooks, got {}", kMaxWebhooks,
                                           config.webhooks.size())});
  for (std::size_t i = 0; i < config.webhooks.size(); ++i) {
    if (auto problem = entry_problem(config, i); !problem.empty())
      out.push_back({fmt::format("webhooks[{}]", i), problem});
  }
}

}  // namespace kite::server::config
