// [[webhooks]]: read from the file, checked by validate(), shown in the default file.
#include <doctest/doctest.h>

#include "config/default_config.h"
#include "config/load.h"
#include "config/secret_files.h"
#include "config/validate.h"
#include "config_test_support.h"

using namespace kite::server::config;

namespace {

constexpr const char* kGood = R"(
[[webhooks]]
name = "billing"
url = "https://hooks.example.com/kite"
types = ["uplink", "connect"]
groups = ["floor-1"]
secret = "0123456789abcdef"
batch_max_events = 50
retry_base_ms = 100
retry_max_ms = 1000
max_attempts = 3

[[webhooks]]
name = "audit"
url = "http://127.0.0.1:9000/events"
)";

// The errors of loading `toml` (validated), joined.
std::string errors_of(const std::string& toml) {
  std::string out;
  for (const auto& error : load_config_text(toml).errors) out += error + "\n";
  return out;
}

}  // namespace

TEST_CASE("[[webhooks]] tables load into Config::webhooks") {
  const LoadResult result = load_config_text(kGood);
  REQUIRE(result.errors.empty());
  REQUIRE(result.config.webhooks.size() == 2);
  const WebhookConfig& billing = result.config.webhooks[0];
  CHECK(billing.name == "billing");
  CHECK(billing.types == std::vector<std::string>{"uplink", "connect"});
  CHECK(billing.groups == std::vector<std::string>{"floor-1"});
  CHECK(billing.batch_max_events == 50);
  CHECK(billing.max_attempts == 3);
  CHECK(result.config.webhooks[1].timeout_ms == 10000);  // the default
}

TEST_CASE("the rendered config reads back with its webhooks, secrets redacted on request") {
  const LoadResult loaded = load_config_text(kGood);
  REQUIRE(loaded.errors.empty());
  const LoadResult again = load_config_text(render_config_toml(loaded.config, false));
  CHECK(again.errors.empty());
  CHECK(again.config == loaded.config);
  const std::string redacted = render_config_toml(loaded.config, true);
  CHECK(redacted.find("0123456789abcdef") == std::string::npos);
  CHECK(default_config_toml().find("webhooks = []") != std::string::npos);
}

TEST_CASE("webhook problems are named with their entry") {
  CHECK(errors_of("[[webhooks]]\nname = \"a\"\nurl = \"ftp://x/\"\n")
            .find("webhooks[0]: url: expected a URL starting with http:// or https://") !=
        std::string::npos);
  CHECK(errors_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x/\"\ntypes = [\"upload\"]\n")
            .find("types: expected one of the recorded types (events.types): [\"uplink\", "
                  "\"connect\", \"disconnect\", \"receipt\", \"undelivered\", \"expired\", "
                  "\"dropped\"]; got \"upload\"") != std::string::npos);
  CHECK(errors_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x/\"\n"
                  "[[webhooks]]\nname = \"a\"\nurl = \"http://y/\"\n")
            .find("webhooks[1]: name \"a\" is also webhooks[0]'s") != std::string::npos);
  CHECK(errors_of("[[webhooks]]\nname = \"a b\"\nurl = \"http://x/\"\n").find("name: expected") !=
        std::string::npos);
  CHECK(errors_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x/\"\nsecret = \"short\"\n")
            .find("secret: expected 16+ characters") != std::string::npos);
  CHECK(errors_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x/\"\nretry_base_ms = 5000\n"
                  "retry_max_ms = 1000\n")
            .find("retry_max_ms (1000) is below retry_base_ms (5000)") != std::string::npos);
  CHECK(errors_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x/\"\nbatch_max_events = 0\n")
            .find("batch_max_events: expected an integer 1..1000") != std::string::npos);
  CHECK(errors_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x/\"\nsecrett = \"x\"\n")
            .find("did you mean \"secret\"?") != std::string::npos);
  CHECK(
      errors_of("[[webhooks]]\nname = \"a\"\nurl = \"http://x/\"\ntypes = [\"receipt\"]\n"
                "[events]\ntypes = [\"uplink\"]\n")
          .find(
              "expected one of the recorded types (events.types): [\"uplink\"]; got \"receipt\"") !=
      std::string::npos);
}

TEST_CASE("production mode needs a webhook secret") {
  Config c;
  c.server.mode = Mode::production;
  WebhookConfig hook;
  hook.name = "a";
  hook.url = "http://10.0.0.1:9000/";
  c.webhooks.push_back(hook);
  bool found = false;
  for (const auto& problem : validate(c))
    found |=
        problem.key == "webhooks[0]" && problem.message.find("needs a secret") != std::string::npos;
  CHECK(found);
}

TEST_CASE("webhook secrets count as secret files: theirs, or the config file holding one") {
  Config c;
  WebhookConfig hook;
  hook.name = "a";
  hook.secret_file = "/etc/kite/a.secret";
  c.webhooks.push_back(hook);
  auto files = secret_files(c, "kited.toml");
  REQUIRE(files.size() == 1);
  CHECK(files[0].first == "webhooks[0].secret_file");
  c.webhooks[0].secret_file.clear();
  c.webhooks[0].secret = "0123456789abcdef";
  files = secret_files(c, "kited.toml");
  REQUIRE(files.size() == 1);
  CHECK(files[0].second == "kited.toml");
}
