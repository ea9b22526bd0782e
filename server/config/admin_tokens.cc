// The [[admin.tokens]] tables; see admin_tokens.h.
#include "config/admin_tokens.h"

#include <fmt/format.h>

#include <algorithm>

#include "config/toml_text.h"

namespace kite::server::config {
namespace {

constexpr std::size_t kMaxNameChars = 64;
constexpr std::size_t kMinTokenChars = 16;
constexpr std::size_t kSha256HexDigits = 64;
const std::vector<std::string> kTokenKeys = {"name", "token", "token_sha256", "scopes"};

std::string read_string(const toml::node& node, std::string& out) {
  if (!node.is_string()) return "expected a string, got " + describe_node(node);
  out = node.as_string()->get();
  return {};
}

std::string read_scopes(const toml::node& node, std::vector<std::string>& out) {
  const toml::array* array = node.as_array();
  if (!array) return "expected an array of strings, got " + describe_node(node);
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::node& item = *array->get(i);
    if (!item.is_string()) {
      return fmt::format("expected an array of strings, got {} at index {}", describe_node(item),
                         i);
    }
    out.push_back(item.as_string()->get());
  }
  return {};
}

// One table of the array into `token`; "" or what is wrong, naming the key.
std::string read_token(const toml::table& table, AdminToken& token) {
  for (auto&& [key, value] : table) {
    std::string problem;
    if (key.str() == "name") {
      problem = read_string(value, token.name);
    } else if (key.str() == "token") {
      problem = read_string(value, token.token);
    } else if (key.str() == "token_sha256") {
      problem = read_string(value, token.token_sha256);
    } else if (key.str() == "scopes") {
      problem = read_scopes(value, token.scopes);
    } else {
      auto match = closest_match(key.str(), kTokenKeys);
      return fmt::format(
          "unknown key {}{}", toml_quoted(key.str()),
          match.empty() ? std::string() : fmt::format(" (did you mean {}?)", toml_quoted(match)));
    }
    if (!problem.empty()) return fmt::format("{}: {}", key.str(), problem);
  }
  return {};
}

std::string read_tokens(Config& config, const toml::node& node) {
  const toml::array* array = node.as_array();
  if (!array) return "expected [[admin.tokens]] tables, got " + describe_node(node);
  std::vector<AdminToken> tokens;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const toml::table* table = array->get(i)->as_table();
    if (!table)
      return fmt::format("[{}]: expected a table, got {}", i, describe_node(*array->get(i)));
    AdminToken token;
    if (auto problem = read_token(*table, token); !problem.empty())
      return fmt::format("[{}]: {}", i, problem);
    tokens.push_back(std::move(token));
  }
  config.admin.tokens = std::move(tokens);
  return {};
}

// As an inline array of inline tables, which reads back to the same entries.
std::string write_tokens(const Config& config) {
  std::string out = "[";
  for (const AdminToken& token : config.admin.tokens) {
    if (out.size() > 1) out += ", ";
    out += fmt::format("{{ name = {}", toml_quoted(token.name));
    if (!token.token.empty()) out += fmt::format(", token = {}", toml_quoted(token.token));
    if (!token.token_sha256.empty())
      out += fmt::format(", token_sha256 = {}", toml_quoted(token.token_sha256));
    std::string scopes;
    for (const auto& scope : token.scopes)
      scopes += (scopes.empty() ? "" : ", ") + toml_quoted(scope);
    out += fmt::format(", scopes = [{}] }}", scopes);
  }
  return out + "]";
}

bool valid_name(std::string_view name) {
  return !name.empty() && name.size() <= kMaxNameChars &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
         });
}

// Why `token` cannot be a bearer token, or "". The secret itself is never quoted.
std::string token_problem(std::string_view token) {
  if (token.size() < kMinTokenChars)
    return fmt::format("token: expected {}+ characters, got {}", kMinTokenChars, token.size());
  // Visible ASCII without spaces: what fits in "Authorization: Bearer <token>" unchanged.
  if (!std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; }))
    return "token: holds a space, a control character or a non-ASCII character";
  return {};
}

// Not quoted either: a secret pasted here by mistake must not reach the terminal.
std::string sha256_problem(std::string_view hex) {
  if (hex.size() != kSha256HexDigits ||
      hex.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos) {
    return fmt::format(
        "token_sha256: expected {} hex digits (printf %s \"$TOKEN\" | sha256sum), got {} "
        "characters{}",
        kSha256HexDigits, hex.size(),
        hex.find_first_not_of("0123456789abcdefABCDEF") != std::string_view::npos
            ? " with a non-hex one"
            : "");
  }
  return {};
}

std::string scopes_problem(const std::vector<std::string>& scopes) {
  if (scopes.empty()) return "scopes: expected at least one of \"send\", \"read\", \"admin\"";
  for (const auto& scope : scopes) {
    if (std::find(std::begin(kScopeNames), std::end(kScopeNames), scope) == std::end(kScopeNames))
      return fmt::format("scopes: expected \"send\", \"read\" or \"admin\", got {}",
                         toml_quoted(scope));
  }
  return {};
}

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  return text;
}

// Two entries that name or hold the same secret: the second one's problem, or "".
std::string duplicate_problem(const AdminConfig& admin, std::size_t i) {
  const AdminToken& token = admin.tokens[i];
  if (!token.token.empty() && token.token == admin.token) return "the same secret as admin.token";
  for (std::size_t j = 0; j < i; ++j) {
    const AdminToken& earlier = admin.tokens[j];
    if (earlier.name == token.name)
      return fmt::format("name {} is also admin.tokens[{}]'s", toml_quoted(token.name), j);
    if ((!token.token.empty() && token.token == earlier.token) ||
        (!token.token_sha256.empty() && lower(token.token_sha256) == lower(earlier.token_sha256)))
      return fmt::format("the same secret as admin.tokens[{}]", j);
  }
  return {};
}

std::string entry_problem(const AdminConfig& admin, std::size_t i) {
  const AdminToken& token = admin.tokens[i];
  if (!valid_name(token.name)) {
    return fmt::format("name: expected 1-{} letters, digits, '.', '_' or '-', got {}",
                       kMaxNameChars, toml_quoted(token.name));
  }
  if (token.name == "admin.token")
    return "name: \"admin.token\" is reserved: logs use it for the admin.token setting";
  if (token.token.empty() == token.token_sha256.empty())
    return "expected exactly one of token and token_sha256";
  if (auto problem =
          token.token.empty() ? sha256_problem(token.token_sha256) : token_problem(token.token);
      !problem.empty())
    return problem;
  if (auto problem = scopes_problem(token.scopes); !problem.empty()) return problem;
  return duplicate_problem(admin, i);
}

}  // namespace

FieldSpec admin_tokens_row(std::string_view doc) {
  FieldSpec field;
  field.section = "admin";
  field.key = "tokens";
  field.doc = doc;
  field.secret = true;
  field.read_toml = read_tokens;
  field.read_text = [](Config&, std::string_view) -> std::string {
    return "named tokens are [[admin.tokens]] tables in the config file; the environment and "
           "--set cannot hold them (use token_sha256 to keep the secret out of the file)";
  };
  field.check = [](const Config&) { return std::string(); };  // check_admin_tokens() does it
  field.write_toml = write_tokens;
  return field;
}

void check_admin_tokens(const AdminConfig& admin, std::vector<Problem>& out) {
  for (std::size_t i = 0; i < admin.tokens.size(); ++i) {
    if (auto problem = entry_problem(admin, i); !problem.empty())
      out.push_back({fmt::format("admin.tokens[{}]", i), problem});
  }
}

}  // namespace kite::server::config
